-- The handovers suite's asset: the staged handovers.
select * from stg_handovers
