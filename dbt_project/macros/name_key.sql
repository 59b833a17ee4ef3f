{# The key every name is matched on; mirrors pipelines.core.vietnamese.name_key (tested to agree):
   NFC, characters that print as nothing removed (soft hyphen, zero-width spaces and joiners, direction
   marks, byte-order mark), lower case, the Icelandic eth read as đ, every kind of space (no-break, thin,
   ideographic…) one space, trimmed. #}
{% macro name_key(expr) -%}
    trim(regexp_replace(
        replace(regexp_replace(lower({{ nfc(expr) }}), {{ char_class(invisible_characters()) }}, '', 'g'), 'ð', 'đ'),
        {{ char_class(space_characters(), '+') }}, ' ', 'g'))
{%- endmacro %}

{#- The key of a unit's name as an export writes it: the name key without the former district or the
   province written after it (`xã Minh Long, huyện Minh Long, tỉnh Quảng Ngãi`); mirrors
   pipelines.core.vietnamese.ADDRESS_TAIL (tested to agree). -#}
{% macro unit_name_key(expr) -%}
    regexp_replace({{ name_key(expr) }}, '\s*[,;(–-]\s*(?:huyện|tỉnh|thị xã|thành phố|quận|tp\.|tx\.|h\.|t\.)\s?.*$', '')
{%- endmacro %}

{#- Code point ranges (hexadecimal), as pipelines.core.vietnamese._FORMAT_CHARACTERS writes them. -#}
{% macro invisible_characters() -%}
    {{ return([['00AD', '00AD'], ['200B', '200F'], ['2060', '2064'], ['FEFF', 'FEFF']]) }}
{%- endmacro %}

{#- What Python's `\s` matches in a text: ASCII white space and Unicode's spaces and separators. -#}
{% macro space_characters() -%}
    {{ return([['0009', '000D'], ['001C', '0020'], ['0085', '0085'], ['00A0', '00A0'], ['1680', '1680'],
               ['2000', '200A'], ['2028', '2029'], ['202F', '202F'], ['205F', '205F'], ['3000', '3000']]) }}
{%- endmacro %}

{#- A regular-expression character class of code point ranges, as a quoted SQL literal. -#}
{% macro char_class(ranges, suffix='') -%}
    {{ return(adapter.dispatch('char_class')(ranges, suffix)) }}
{%- endmacro %}

{% macro default__char_class(ranges, suffix) -%}
    '[{% for r in ranges %}\u{{ r[0] }}-\u{{ r[1] }}{% endfor %}]{{ suffix }}'
{%- endmacro %}

{% macro duckdb__char_class(ranges, suffix) -%}
    '[{% for r in ranges %}\x{ {{- r[0] -}} }-\x{ {{- r[1] -}} }{% endfor %}]{{ suffix }}'
{%- endmacro %}

{#- Unicode NFC of a text, so that a name typed with combining marks (NFD) matches its composed form. -#}
{% macro nfc(expr) -%}
    {{ return(adapter.dispatch('nfc')(expr)) }}
{%- endmacro %}

{% macro default__nfc(expr) -%}
    normalize({{ expr }}, NFC)
{%- endmacro %}

{% macro duckdb__nfc(expr) -%}
    nfc_normalize({{ expr }})
{%- endmacro %}
