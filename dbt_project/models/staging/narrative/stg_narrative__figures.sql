with source as (
    select * from {{ source('narrative', 'narrative_figures') }}
),

renamed as (
    select
        file_sha256 || '#' || figure_no     as figure_id,
        -- the key a reviewer's decision names (expectations/reviewed_figures.csv, the review sheet)
        left(file_sha256, 12) || '#' || figure_no as figure_key,
        file_sha256                         as report_id,
        figure_no,
        block_kind,
        block_index,
        position,
        figure_kind,
        printed,
        indicator_code,
        confidence,
        value::float8                       as value,
        numerator::float8                   as numerator,
        numerator_text,
        denominator::float8                 as denominator,
        denominator_text,
        rate::float8                        as printed_rate,
        rate_text                           as printed_rate_text,
        noun,
        evidence                            as evidence_sentence,
        -- a figure read before roles existed has none: it is held for review like an uncertain one
        coalesce(role, 'unjudged')          as role,
        role_cue,
        coalesce(needs_review, true)        as needs_review,
        coalesce(review_reason, case when role is null then 'read_before_roles' end) as review_reason
    from source
)

select * from renamed
