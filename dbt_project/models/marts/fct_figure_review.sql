-- The review queue: every figure of a narrative report that the reader mapped but was not sure of (low
-- confidence, an uncertain role, a noun that does not fit its indicator), with what a person decided.
-- `status` pending means nobody has decided yet, and the figure stays out of fct_commune_indicator;
-- agrees_with_form means the commune's form says the same, so it landed without anyone's look.
with figures as (
    select * from {{ ref('int_narrative_figures_judged') }}
    where needs_review_in_warehouse or decision is not null
),

reports as (
    select report_id, source_file from {{ ref('stg_narrative__reports') }}
)

select
    figures.figure_key,
    figures.commune_id,
    figures.period_key,
    reports.source_file,
    figures.position,
    figures.printed,
    figures.value,
    figures.indicator_code as proposed_indicator_code,
    figures.role,
    figures.role_cue,
    figures.confidence,
    figures.review_reason,
    figures.evidence_sentence,
    figures.status,
    figures.remapped_indicator_code,
    figures.reviewed_by,
    figures.reviewed_on,
    figures.review_reason_given
from figures
join reports using (report_id)
