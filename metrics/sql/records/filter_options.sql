-- filter_options: the distinct values of <column> of the handovers (those meeting <where>:
-- "" or "and" conditions of the data scope), sorted.
select distinct {column} from stg_handovers where {column} is not null{where} order by 1
