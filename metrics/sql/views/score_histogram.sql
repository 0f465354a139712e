-- score_histogram: the scored handovers by bar ($width points wide, from 0; the last bar,
-- from $top, holds 100 too) and band.
select
    least(floor(score / $width) * $width, $top) as bin_start, band,
    count(*) as handovers
from handover_scores
where score is not null
group by all
order by bin_start, band
