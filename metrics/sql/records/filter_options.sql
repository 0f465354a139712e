-- filter_options: the distinct values of <column> of the handovers (those meeting <where>:
-- "" or "and" conditions of the data scope), sorted.
-- sqlfluff:templater:placeholder:column:team
-- sqlfluff:templater:placeholder:where:and true
select distinct {column} from stg_handovers where {column} is not null {where} order by 1
