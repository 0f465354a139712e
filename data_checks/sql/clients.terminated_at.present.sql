-- clients.terminated_at.present (beyond DOMAIN.md's minimum): status terminated without the
-- date service ended, which churn_90d_rate and the churned_90d flag need.
select
    client_id as record_key,
    'terminated_at' as column_name,
    cast(terminated_at as varchar) as offending_value,
    'terminated without a termination date' as detail
from {batch}
where status = 'terminated'
    and terminated_at is null
