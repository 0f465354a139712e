-- scores_page: the <columns> of the handovers meeting <where>, lowest score first
-- (unscored last, ties by id), $limit rows from $offset on.
-- sqlfluff:templater:placeholder:columns:score
-- sqlfluff:templater:placeholder:where:true
-- sqlfluff:templater:placeholder:limit:100
-- sqlfluff:templater:placeholder:offset:0
select {columns} from handover_scores where {where}
order by score asc nulls last, handover_id limit $limit offset $offset
