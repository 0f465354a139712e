-- handover_scores: the evaluation score of each selected handover, one row per handover.
-- The formulas are explained to users in metrics/formulas.py (same numbers, from the
-- configuration): keep the two in step.
--   efficiency   completed: 100 - points_per_day_late x days after planned_end (>= 0);
--                open and past planned_end: the same with the days overdue as of the date;
--                open and not yet due, or no planned_end: no data
--   quality      completed: 100 x required items verified / required items
--                - points_per_unfixed_discrepancy x unfixed discrepancies (>= 0); open: no data
--   satisfaction (mean overall_satisfaction of attributed responses - 1) / 4 x 100; none: no data
--   risk         100 - the points of the raised flags (>= 0)
--   score        weighted mean of the sub-scores with data (weights rescaled over them)
--   band         red if a critical flag is raised; else green >= $green, yellow >= $yellow, red
--   risk_level   high if a critical flag is raised or risk points >= $risk_high;
--                medium >= $risk_medium; else low
create or replace temp table handover_scores as
with facts as (
    select * from handover_facts
),

raised as (
    select
        f.handover_id,
        list(f.flag order by f.flag) as flags,
        sum(p.points) as risk_points,
        bool_or(list_contains($critical_flags, f.flag)) as has_critical_flag
    from handover_flags as f
    join flag_points as p on p.flag = f.flag
    group by f.handover_id
),

sub_scores as (
    select
        facts.*,
        case
            when planned_end is null then null
            when is_completed
                then greatest(
                        0, 100 - $points_per_day_late
                        * greatest(0, date_diff('day', planned_end, cast(actual_end as date)))
                    )
            when cast($as_of as date) > planned_end then greatest(
                    0, 100 - $points_per_day_late
                    * date_diff('day', planned_end, cast($as_of as date))
                )
        end as efficiency_score,
        case when is_completed then greatest(
                    0,
                    100.0 * count_required_verified / len($required_items)
                    - $points_per_unfixed_discrepancy
                    * (count_discrepancies - count_discrepancies_fixed)
                )
        end as quality_score,
        case when mean_satisfaction is not null then
                least(100, greatest(0, (mean_satisfaction - 1) / 4 * 100))
        end as satisfaction_score,
        greatest(0, 100 - coalesce(r.risk_points, 0)) as risk_score,
        coalesce(r.flags, []) as flags,
        coalesce(r.risk_points, 0) as risk_points,
        coalesce(r.has_critical_flag, false) as has_critical_flag
    from facts
    left join raised as r on r.handover_id = facts.handover_id
),

weighted as (
    select
        *,
        (
            coalesce($w_efficiency * efficiency_score, 0)
            + coalesce($w_quality * quality_score, 0)
            + coalesce($w_satisfaction * satisfaction_score, 0)
            + $w_risk * risk_score
        )
        / nullif(
            (case when efficiency_score is not null then $w_efficiency else 0 end)
            + (case when quality_score is not null then $w_quality else 0 end)
            + (case when satisfaction_score is not null then $w_satisfaction else 0 end)
            + $w_risk, 0
        ) as score
    from sub_scores
)

select
    *,
    case
        when has_critical_flag then 'red'
        when score is null then null
        when score >= $green then 'green'
        when score >= $yellow then 'yellow'
        else 'red'
    end as band,
    case
        when has_critical_flag or risk_points >= $risk_high then 'high'
        when risk_points >= $risk_medium then 'medium'
        else 'low'
    end as risk_level
from weighted
