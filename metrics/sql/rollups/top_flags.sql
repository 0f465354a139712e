-- top_flags: the most frequent flags of each group's (<group>) completed handovers, as
-- rollups.top_flags orders them: most frequent first, ties in the order of $flags; the
-- first $top, each [flag, handovers as text].
-- sqlfluff:templater:placeholder:group:team
select
    grp, list(
        [flag, cast(n as varchar)]
        order by n desc, coalesce(array_position($flags, flag), 1000), flag
    )[1:$top] as top
from (
    select grp, flag, count(*) as n
    from (
        select {group} as grp, unnest(flags) as flag
        from handover_scores where is_completed
    ) as raised
    group by all
) as counted
group by grp
