-- scores_page: the <columns> of the handovers meeting <where>, lowest score first
-- (unscored last, ties by id), $limit rows from $offset on.
select {columns} from handover_scores where {where}
order by score asc nulls last, handover_id limit $limit offset $offset
