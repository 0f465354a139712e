-- handover_score: the <columns> of the handover $id (no row when it is not selected).
-- sqlfluff:templater:placeholder:columns:score
select {columns} from handover_scores where handover_id = $id
