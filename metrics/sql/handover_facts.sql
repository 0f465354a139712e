-- handover_facts: one row per selected handover with what its log, its client and its
-- feedback say. Every figure, flag and score reads this table; built once per computation
-- (a temporary table on the read connection), it scans the event log once.
-- It reads ``selected_events`` (session.py: the events of the selected handovers; the whole
-- log, without a join, when every handover is selected) and aggregates the events per
-- handover before joining the handovers: 315,000 rows joined, not 4.4 million. The
-- conditions that need the handover's actual_end are evaluated after that join, on what
-- the aggregation kept (the first access_revoked; the follow-up visits' times).
-- Parameters: $checklist_items (all items, in order), $required_mask and $sensitive_mask
-- (bit i set: item i + 1 of the checklist is required / sensitive). Verified items are
-- kept as a bit mask: aggregating lists over 300,000 handovers cost 20 times more.
create or replace temp table handover_facts as
with

-- Only the event types a figure, flag or score reads; one pass per handover.
events as (
    select e.handover_id, e.event_type, e.item_code, e.occurred_at
    from selected_events as e
    where e.event_type in (
            'item_verified', 'discrepancy_found', 'discrepancy_fixed',
            'signed_off', 'complaint', 'access_revoked', 'followup_visit'
        )
),

log as (
    select
        handover_id,
        bit_or(case when event_type = 'item_verified'
                then 1 << (list_position($checklist_items, item_code) - 1)
        end)
            as verified_mask,
        bool_or(event_type = 'signed_off') as has_signed_off_event,
        count(*) filter (where event_type = 'complaint') as count_complaints,
        -- some access_revoked at or before actual_end + 24 h <=> the first one is
        min(occurred_at) filter (where event_type = 'access_revoked') as first_access_revoked_at,
        -- few (about one per handover): the 30-day window is looked at after the join
        list(occurred_at) filter (where event_type = 'followup_visit') as followup_times
    from events
    group by handover_id
),

-- (handover, item) pairs with a discrepancy: fixed when some discrepancy_fixed comes at or
-- after the first discrepancy_found.
discrepancy_pairs as (
    select
        handover_id,
        item_code,
        min(occurred_at) filter (where event_type = 'discrepancy_found') as first_found_at,
        max(occurred_at) filter (where event_type = 'discrepancy_fixed') as last_fixed_at
    from events
    where event_type in ('discrepancy_found', 'discrepancy_fixed')
    group by handover_id, item_code
),

discrepancies as (
    select
        handover_id,
        count(*) filter (where first_found_at is not null) as count_discrepancies,
        count(*) filter (where last_fixed_at >= first_found_at) as count_discrepancies_fixed,
        list(coalesce(item_code, '?') order by item_code) filter (
            where first_found_at is not null and (
                last_fixed_at is null
                or last_fixed_at < first_found_at
            )
        ) as unfixed_items
    from discrepancy_pairs
    group by handover_id
),

feedback as (
    select
        handover_id,
        count(*) as count_responses,
        count(overall_satisfaction) as count_rated,
        avg(overall_satisfaction) as mean_satisfaction,
        min(overall_satisfaction) as min_satisfaction
    from responses
    where is_real and is_attributed
    group by handover_id
),

final as (
    select
        h.*,
        h.actual_end is not null as is_completed,
        coalesce(l.verified_mask, 0) as verified_mask,
        bit_count(coalesce(l.verified_mask, 0) & $required_mask) as count_required_verified,
        $sensitive_mask & ~coalesce(l.verified_mask, 0) as sensitive_unverified_mask,
        coalesce(d.count_discrepancies, 0) as count_discrepancies,
        coalesce(d.count_discrepancies_fixed, 0) as count_discrepancies_fixed,
        coalesce(d.unfixed_items, []) as unfixed_items,
        coalesce(l.has_signed_off_event, false) as has_signed_off_event,
        coalesce(l.count_complaints, 0) as count_complaints,
        coalesce(l.first_access_revoked_at <= h.actual_end + interval 24 hour, false)
            as has_access_revoked_24h,
        coalesce(len(list_filter(
            l.followup_times, lambda t: t between h.actual_end
            and h.actual_end + interval 30 day
        )) > 0, false)
            as has_followup_30d,
        coalesce(f.count_responses, 0) as count_responses,
        coalesce(f.count_rated, 0) as count_rated,
        f.mean_satisfaction,
        f.min_satisfaction,
        c.terminated_at as client_terminated_at,
        c.company_name
    from selected_handovers as h
    left join discrepancies as d on d.handover_id = h.handover_id
    left join log as l on l.handover_id = h.handover_id
    left join feedback as f on f.handover_id = h.handover_id
    left join stg_clients as c on c.client_id = h.client_id
)

select * from final
