-- The feedback suite's asset: the real responses (previews and unfinished ones do not count),
-- each matched to a client and a handover.
select * from feedback_responses
where is_real
