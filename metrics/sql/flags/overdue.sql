-- overdue: open and as_of > planned_end, or completed with date(actual_end) > planned_end.
select
    handover_id,
    case when is_completed
         then 'completed ' || date_diff('day', planned_end, cast(actual_end as date))
              || ' day(s) after the planned end ' || cast(planned_end as varchar)
         else 'open ' || date_diff('day', planned_end, cast($as_of as date))
              || ' day(s) past the planned end ' || cast(planned_end as varchar)
    end as reason,
    case when is_completed
         then '比计划完成日期 ' || cast(planned_end as varchar) || ' 晚 '
              || date_diff('day', planned_end, cast(actual_end as date)) || ' 天完成'
         else '未完成，已超过计划完成日期 ' || cast(planned_end as varchar) || ' '
              || date_diff('day', planned_end, cast($as_of as date)) || ' 天'
    end as reason_zh
from handover_facts
where (not is_completed and cast($as_of as date) > planned_end)
    or (is_completed and cast(actual_end as date) > planned_end)
