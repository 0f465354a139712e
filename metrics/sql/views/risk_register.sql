-- risk_register: the selected handovers (those of <since>: "" or a condition on
-- handover_scores) with what the risk page shows of each: whether a critical flag is raised,
-- the days past the planned end as of the date (open ones), and at_risk (open, with a
-- flag). <where> is "" or a condition on the register's rows (a list of the risk page).
-- sqlfluff:templater:placeholder:since:where true
-- sqlfluff:templater:placeholder:where:where at_risk
select
    * from (
    select
        handover_id, client_id, company_name, team, from_staff, to_staff,
        supervisor, reason, planned_end, actual_end, is_completed, score, band,
        risk_level, risk_points, flags,
        list_has_any(flags, $critical) as has_critical,
        case when not is_completed and planned_end is not null
                then greatest(0, date_diff('day', planned_end, cast($as_of as date)))
        end as days_overdue,
        not is_completed and len(flags) > 0 as at_risk
    from handover_scores
    {since}
) as register
{where}
