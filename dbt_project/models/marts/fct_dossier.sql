-- One row per dossier (deduplicated on its code, the latest load winning), with its commune, the quarter
-- it was received in, and its Decision 766 outcome. No personal data: exports carry none.
-- Incremental like int_dossiers_classified: only dossiers loaded since the last run are replaced, so a
-- new quarter's export (and any later status of an older quarter's dossier it carries) costs its own rows.
{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='dossier_code',
        on_schema_change='fail',
    )
}}

with dossiers as (
    select * from {{ ref('int_dossiers_classified') }}
    {{ loaded_since_last_run() }}
),

quarters as (
    select period_key, starts_on, ends_on from {{ ref('dim_period') }} where period_type = 'quarter'
)

select
    dossiers.dossier_code,
    dossiers.commune_id,
    dossiers.commune_name_written,
    dossiers.procedure_name,
    dossiers.field_name,
    dossiers.channel,
    dossiers.received_at,
    received_quarter.period_key as received_period_key,
    dossiers.due_at,
    dossiers.finished_at,
    finished_quarter.period_key as finished_period_key,
    dossiers.status,
    dossiers.outcome,
    dossiers.outcome in ('early', 'on_time', 'late', 'invalid_dates') as is_resolved,
    dossiers.is_fee_bearing,
    dossiers.is_paid_online,
    dossiers.is_intake_digitised,
    dossiers.is_result_digitised,
    dossiers.source_file_sha256,
    dossiers.source_row,
    dossiers.loaded_at
from dossiers
left join quarters as received_quarter
    on dossiers.received_at::date between received_quarter.starts_on and received_quarter.ends_on
left join quarters as finished_quarter
    on dossiers.finished_at::date between finished_quarter.starts_on and finished_quarter.ends_on
