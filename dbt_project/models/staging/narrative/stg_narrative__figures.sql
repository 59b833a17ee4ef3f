with source as (
    select * from {{ source('narrative', 'narrative_figures') }}
),

renamed as (
    select
        file_sha256 || '#' || figure_no     as figure_id,
        file_sha256                         as report_id,
        figure_no,
        block_kind,
        block_index,
        position,
        figure_kind,
        printed,
        indicator_code,
        confidence,
        value::double                       as value,
        numerator::double                   as numerator,
        numerator_text,
        denominator::double                 as denominator,
        denominator_text,
        rate::double                        as printed_rate,
        rate_text                           as printed_rate_text,
        noun,
        evidence                            as evidence_sentence
    from source
)

select * from renamed
