#!/usr/bin/env python3
"""Writes fixtures/constructs.jsonl: small inline templates, one Jinja2 construct each, rendered
against a shared context. The expected output is never stored: the parity test renders every
case with Python jinja2 (render_reference.py) at test time and compares byte for byte.
Re-run after editing: python3 make_construct_fixtures.py"""
import json
import os

CTX = {
    "messages": [
        {"role": "system", "content": "sys ✓"},
        {"role": "user", "content": "Héllo wörld, 你好 😀"},
        {"role": "assistant", "content": "<think>\nhmm\n</think>\n\nHi!"},
        {"role": "user", "content": "  bye  "},
    ],
    "d": {"b": 2, "a": 1, "c": [1, 2.5, None, True], "é": "ü"},
    "users": [
        {"name": "bob", "age": 31, "admin": True},
        {"name": "Alice", "age": 25, "admin": False},
        {"name": "carol", "age": 40},
    ],
    "x": {"text": "é\u2028\"quoted\"\\ <tag> & \u0001 \t\n emoji 😀", "n": [1, 1.0, 1e20, 1e-7, 0.1, -0.0, 123456789],
          "nested": {"deep": {"empty_list": [], "empty_obj": {}}}, "t": True, "f": False, "z": None},
    "num": 42,
    "flt": 2.5,
    "s": "Hello World",
    "empty": "",
}

CASES = [
    # whitespace control, trim_blocks, lstrip_blocks, comments, raw, newlines
    ("ws_lstrip_trim", "a\n  {% if true %}\n  b\n  {% endif %}\nc"),
    ("ws_for_lines", "{% for i in [1,2] %}\n{{ i }}\n{% endfor %}\nend"),
    ("ws_minus_both", "x  \n  {{- 'y' -}}  \n  z"),
    ("ws_plus_disables_lstrip", "  {%+ if true %}x{% endif %}\n  {% if true %}y{% endif %}"),
    ("ws_block_minus", "a\n\n  {%- if true -%}\n\n  x  \n\n  {%- endif -%}\n\nb"),
    ("ws_comments", "a {#- c -#} b\nline\n   {# comment #}\nnext {# x #} tail"),
    ("ws_raw", "{% raw %}{{ not }} {% evaluated %}{% endraw %}\nafter"),
    ("ws_crlf", "line1\r\n{% if true %}\r\nline2\r\n{% endif %}\rline3\n\n"),
    ("ws_trailing_newline", "abc\n"),
    ("ws_tab_lstrip", "\t{% if true %}\n\tTAB\n\t{% endif %}\n"),
    ("ws_text_before_tag", "text {% if true %}x{% endif %}\n  more {% if true %}y{% endif %}"),
    ("ws_var_no_trim", "{{ 'a' }}\n{{ 'b' }}\n"),
    ("ws_comment_trim_block", "a\n{# c #}\nb\n  {#- d #}\ne"),
    # printing values the Python way
    ("print_list_mixed", "{{ [1, 'a', None, True, 1.5, 1e20, 1e-5, 0.1, 100.0, -0.0, {'k': (1,)}, (), (1, 2)] }}"),
    ("print_floats", "{{ 1/3 }} {{ 2**0.5 }} {{ 10/4 }} {{ 1e16 }} {{ 9999999999999998.0 }} {{ 123456789012345678 }} {{ 0.000123 }} {{ 0.0001 }} {{ 1.5e300 * 1e10 }}"),
    ("print_string_reprs", "{{ [\"it's\", 'say \"hi\"', 'both \\' \"', 'tab\\t', 'nl\\n', 'é', '\\x01', '\\u200b', '\\\\', '\\x7f', '\\xa0', '😀'] }}"),
    ("print_scalars", "{{ none }}|{{ true }}|{{ false }}|{{ undefined_var }}|{{ num }}|{{ flt }}"),
    ("print_dict", "{{ {'a': 1, 'b': [1, 2], 'c': {'d': none}} }}"),
    ("print_context", "{{ messages }}\n{{ d }}\n{{ x.n }}"),
    ("print_namespace", "{% set ns = namespace(a=1, b='x') %}{{ ns }}"),
    # arithmetic
    ("arith_int", "{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 7 / 2 }} {{ 4 / 2 }}"),
    ("arith_float", "{{ 7.5 // 2 }} {{ -7.5 % 2 }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ -2 ** 2 }} {{ 2 ** 3 ** 2 }} {{ 0.1 + 0.2 }} {{ 1 - 0.9 }}"),
    ("arith_seq", "{{ 'ab' * 3 }} {{ [1] * 2 }} {{ [1, 2] + [3] }} {{ 'a' ~ 1 ~ none ~ true ~ undefined_v }} {{ 1 + true }} {{ 3 * 'x' }}"),
    ("arith_str_plus_int_error", "{{ 'a' + 1 }}"),
    ("arith_div_zero_error", "{{ 1 / 0 }}"),
    ("arith_undefined_error", "{{ undefined_v + 1 }}"),
    ("unary", "{{ -num }} {{ +flt }} {{ -(1) }} {{ not none }} {{ - -3 }}"),
    # comparisons and logic
    ("compare", "{{ 1 == 1.0 }} {{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 'a' < 'b' }} {{ [1, 2] < [1, 3] }} {{ 1 in [1, 2] }} {{ 'b' in 'abc' }} {{ 'x' not in {'x': 1} }} {{ none == none }} {{ 1 != '1' }} {{ 2 >= 2.0 }} {{ 'é' > 'z' }}"),
    ("compare_type_error", "{{ 1 < 'a' }}"),
    ("logic", "{{ 0 or 'x' }} {{ 1 and 'y' }} {{ not 0 }} {{ [] or none }} [{{ 'a' if false }}] {{ 'a' if true else 'b' }} {{ 'p' if 0 else 'q' if 1 else 'r' }}"),
    ("in_errors", "{{ 1 in 'abc' }}"),
    ("in_none_error", "{{ 'a' in none }}"),
    # strings and methods
    ("str_split", "{{ s.split() }} {{ 'a,b,,c'.split(',') }} {{ 'a b c'.split(' ', 1) }} {{ 'a b c'.rsplit(' ', 1) }} {{ '  a  b  '.split() }} {{ '  a b  c  '.split(None, 1) }} {{ 'x'.split('x') }}"),
    ("str_strip", "[{{ '  x  '.strip() }}] [{{ 'xxhixx'.strip('x') }}] [{{ '\\n\\nhi\\n'.lstrip('\\n') }}] [{{ 'hi\\n\\n'.rstrip() }}] [{{ '\\u3000x\\xa0'.strip() }}] [{{ 'abcba'.strip('ab') }}]"),
    ("str_case", "{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'abc'.upper() }} {{ 'ABC'.lower() }} {{ 'hello wORLD-x'.title() }} {{ 'hello World'.capitalize() }} {{ 'straße'.upper() }} {{ 'ÉCOLE'.lower() }}"),
    ("str_replace", "{{ 'a-b-c'.replace('-', '+') }} {{ 'a-b-c'.replace('-', '+', 1) }} {{ 'ab'.replace('', '.') }} {{ 'aaa'.replace('a', 'bb') }}"),
    ("str_find", "{{ 'hello'.find('l') }} {{ 'héllo'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.find('z') }} {{ 'hello'.count('l') }} {{ 'hello'.count('') }} {{ 'héllo'.index('o') }} {{ 'hello'.find('l', 3) }}"),
    ("str_lines", "{{ 'a\\nb\\r\\nc\\n'.splitlines() }} {{ 'a\\nb'.splitlines(true) }} {{ ''.splitlines() }}"),
    ("str_format", "{{ '{} and {}'.format(1, 'x') }} {{ '{0}{1}{0}'.format('a', 'b') }} {{ '{name}!'.format(name='Bob') }} {{ '{:>5}|{:<5}|{:^5}'.format('a', 'b', 'c') }} {{ '{:.2f}'.format(3.14159) }} {{ '{:05d}'.format(42) }} {{ '{!r}'.format('q') }} {{ '{{}}'.format() }}"),
    ("str_join_methods", "{{ '-'.join(['a', 'b']) }} {{ ', '.join(d) }} {{ '123'.isdigit() }} {{ 'abc'.isalpha() }} {{ ' '.isspace() }} {{ 'ABC'.isupper() }} {{ 'abc'.islower() }} {{ '42'.zfill(5) }} {{ 'ab'.center(6, '*') }} {{ 'pre_x'.removeprefix('pre_') }} {{ 'a=b=c'.partition('=') }}"),
    ("str_slices", "{{ 'abc'[::-1] }} {{ 'héllo wörld 😀'[::-1] }} {{ 'abcdef'[1:4] }} {{ 'abcdef'[-2:] }} {{ 'abcdef'[::2] }} [{{ 'abc'[10:] }}] {{ 'abc'[-1] }} {{ 'héllo'[1] }} {{ 'héllo'|length }} [{{ 'abc'[5] }}] {{ 'abcdef'[4:1:-1] }}"),
    ("str_percent", "{{ '%s is %d years' % ('Bob', 42) }} {{ '%05.1f|%-4s|%x|%r' % (3.14159, 'ab', 255, 'q') }} {{ '%(a)s-%(b)s' % {'a': 1, 'b': 2} }} {{ '%d%%' % 50 }}"),
    ("str_literals", "{{ 'a\\tb\\u00e9\\x41\\101' }}|{{ \"line1\\nline2\" }}|{{ 'it\\'s' }}|{{ 'a' 'b' \"c\" }}|{{ 'back\\\\slash' }}|{{ 'unknown\\q' }}"),
    ("str_methods_content", "{{ messages[2].content.split('</think>')[-1].lstrip('\\n') }}|{{ messages[2].content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}"),
    # numbers
    ("number_literals", "{{ 1_000 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1.5e3 }} {{ 1_0.5 }} {{ 2e-3 }}"),
    # lists, slices, dicts
    ("list_slices", "{{ [1, 2, 3, 4, 5][1:3] }} {{ [1, 2, 3][::-1] }} {{ [1, 2, 3][-1] }} [{{ [1, 2, 3][5] }}] {{ [1, 2, 3, 4, 5][::-2] }} {{ [1, 2, 3, 4, 5][-3:-1] }} {{ [1, 2, 3][:-5] }} {{ (1, 2, 3)[1:] }} {{ [1, 2, 3][-10:10] }}"),
    ("list_messages_reversed", "{% for m in messages[::-1] %}{{ m.role }},{% endfor %}|{{ messages[-1].content }}|{{ messages.0.role }}|{{ messages[1]['content'] }}"),
    ("dict_access", "{{ d.get('a') }} {{ d.get('zz', 'dflt') }} {{ d.get('zz') }} {{ d['a'] }} {{ d.b }} [{{ d.missing }}] {{ d['é'] }} {{ d|length }} {{ 'a' in d }} {{ {'a': 1, 'b': 2}['b'] }} {{ [1, 2, ] }}"),
    ("dict_iter", "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for k in d %}{{ k }}{% endfor %}|{% for k in d.keys() %}{{ k }}{% endfor %}|{% for v in d.values() %}{{ v }}{% endfor %}"),
    ("dict_views", "{{ d.items() }} {{ d.keys() }} {{ d.values() }} {{ d.keys()|list }} {{ d.items()|length }} {{ 'a' in d.keys() }} {{ d.keys() == d.keys() }} {{ d.keys() == ['b', 'a', 'c', 'é'] }} {{ d.items()|first }} {{ d.values()|last }} {{ d.keys() is sequence }} {{ d.keys() is iterable }} [{{ d.keys().index }}]"),
    ("dict_view_subscript_error", "{{ d.keys()[0] }}"),
    ("dict_view_tojson_error", "{{ d.items()|tojson }}"),
    ("dict_view_concat_error", "{{ [1] + d.keys() }}"),
    ("tuples", "{{ (1, 2) }} {{ (1,) }} {{ () }} {{ (1) }}"),
    # filters
    ("filter_sort", "{{ [3, 1, 2]|sort }} {{ ['b', 'A', 'c']|sort }} {{ ['b', 'A', 'c']|sort(case_sensitive=true) }} {{ [3, 1, 2]|sort(reverse=true) }} {{ users|sort(attribute='age')|map(attribute='name')|list }} {{ users|sort(attribute='name')|map(attribute='name')|join(',') }}"),
    ("filter_select", "{{ users|selectattr('age', 'gt', 30)|map(attribute='name')|list }} {{ users|rejectattr('admin')|list|length }} {{ users|selectattr('admin')|map(attribute='name')|first }} {{ [1, 2, 3, 4]|select('odd')|list }} {{ [1, 2, 3, 4]|reject('even')|list }} {{ [0, 1, '', 'a', none]|select|list }} {{ users|selectattr('name', 'equalto', 'bob')|list|length }} {{ messages|selectattr('role', 'in', ['user', 'system'])|map(attribute='role')|list }}"),
    ("filter_map", "{{ ['a', 'b']|map('upper')|list }} {{ users|map(attribute='admin', default='n/a')|list }} {{ [1.26, 2.5]|map('round', 1)|list }} {{ users|map(attribute='name')|map('length')|list }}"),
    ("filter_aggregate", "{{ [1, 1, 2, 'A', 'a']|unique|list }} {{ [1, 2, 3]|sum }} {{ users|sum(attribute='age') }} {{ [1, 5, 3]|max }} {{ [1, 5, 3]|min }} {{ ['b', 'A']|max }} {{ users|max(attribute='age') }}"),
    ("filter_first_last", "{{ [1, 2, 3]|first }} {{ [1, 2, 3]|last }} [{{ []|first }}] {{ 'abc'|first }} {{ 'abc'|list }} {{ d|first }} {{ d|list }}"),
    ("filter_numbers", "{{ 3.7|int }} {{ '42'|int }} {{ 'x'|int }} {{ ' 12 '|int }} {{ '3.9'|int }} {{ '0x1A'|int(0, 16) }} {{ '3.5'|float }} {{ 'z'|float }} {{ -3|abs }} {{ -2.5|abs }} {{ 2.5|round }} {{ 3.5|round }} {{ 3.14159|round(2) }} {{ 3.14159|round(2, 'floor') }} {{ 3.14159|round(1, 'ceil') }} {{ 7|round }} {{ 2.675|round(2) }}"),
    ("filter_strings", "{{ 1|string }} {{ 'ab'|upper }} [{{ ' x '|trim }}] [{{ 'xxyxx'|trim('x') }}] {{ 'hello world-wide (x) [y]'|title }} {{ 'hELLO'|capitalize }} {{ 'a b'|replace(' ', '_') }} {{ 'aaa'|replace('a', 'b', 2) }} {{ 'ab'|lower }} {{ messages|length }} {{ 'héllo'|count }}"),
    ("filter_default", "{{ none|default('d') }} {{ undefined_x|default('d') }} [{{ ''|default('d') }}] {{ ''|default('d', true) }} {{ 0|d('zero', true) }} {{ undefined_x|d }}|{{ false|default('f') }}"),
    ("filter_reverse", "{{ [1, 2, 3]|reverse|list }} {{ 'abc'|reverse }} {{ 'héllo'|reverse }} {{ (1, 2)|reverse|list }}"),
    ("filter_indent", "[{{ 'a\\nb'|indent(2) }}] [{{ 'a\\nb\\n\\nc'|indent(2, true) }}] [{{ 'a\\n\\nb'|indent(2, blank=true) }}] [{{ 'x\\ny'|indent('> ') }}] [{{ 'solo'|indent }}]"),
    ("filter_misc", "{{ [1, 2, 3, 4, 5]|batch(2)|list }} {{ [1, 2, 3]|batch(2, 0)|list }} {{ '<a href=\"x\">&\\''|escape }} {{ '%s-%s'|format(1, 2) }} {{ d|dictsort }} {{ {'b': 1, 'a': 2}|dictsort(by='value', reverse=true) }} {{ d|items|list }} {{ 'x'|safe }} {{ users[0]|attr('name') }}"),
    ("filter_tojson", "{{ x|tojson }}\n{{ x|tojson(indent=2) }}\n{{ x|tojson(indent=0) }}\n{{ x|tojson(separators=(',', ':')) }}\n{{ x|tojson(sort_keys=true) }}\n{{ x|tojson(ensure_ascii=true) }}\n{{ d|tojson(indent='\\t') }}"),
    ("filter_tojson_scalars", "{{ 'é\\u2028\"\\\\'|tojson }} {{ 1.0|tojson }} {{ none|tojson }} {{ [1e20, 1e-7, 0.1, 2.5e-5]|tojson }} {{ true|tojson }} {{ (1, 'a')|tojson }} {{ messages|tojson }} {{ {}|tojson(indent=2) }} {{ []|tojson(indent=2) }}"),
    ("filter_tojson_undefined_error", "{{ undefined_q|tojson }}"),
    ("filter_unknown_error", "{{ 'x'|nosuchfilter }}"),
    ("filter_unknown_in_if_ok", "{% if false %}{{ 'x'|nosuchfilter }}{% endif %}fine"),
    # tests
    ("tests_basic", "{{ 1 is odd }} {{ 2 is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ x is defined }} {{ undefined_y is undefined }} {{ none is none }} {{ 'a' is string }} {{ 1 is number }} {{ 1.0 is float }} {{ 1 is integer }} {{ true is integer }} {{ true is boolean }} {{ true is number }}"),
    ("tests_types", "{{ d is mapping }} {{ [1] is sequence }} {{ 'a' is iterable }} {{ 1 is iterable }} {{ d is iterable }} {{ none is mapping }} {{ undefined_y is iterable }} {{ range is callable }} {{ 'a' is callable }}"),
    ("tests_compare", "{{ 1 is eq 1 }} {{ 2 is gt 1 }} {{ 1 is in [1] }} {{ 1 is ne 2 }} {{ 2 is ge 2 }} {{ 1 is lt 2 }} {{ 1 is le 0 }} {{ 'a' is equalto 'a' }} {{ 3 is greaterthan 2 }} {{ 1 is lessthan 0 }}"),
    ("tests_bool", "{{ false is false }} {{ 0 is false }} {{ true is true }} {{ 1 is true }} {{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 'Ab' is lower }} {{ none is sameas none }} {{ true is sameas true }} {{ 'upper' is filter }} {{ 'odd' is test }} {{ 'nope' is filter }}"),
    ("tests_not", "{{ x is not none }} {{ undefined_y is not defined }} {{ not undefined_y is defined }} {{ 1 is not odd }}"),
    ("tests_unknown_error", "{{ 1 is nosuchtest }}"),
    # loops
    ("loop_vars", "{% for m in messages %}{{ loop.index }}/{{ loop.length }}:{{ loop.index0 }},{{ loop.revindex }},{{ loop.revindex0 }},{{ loop.first }},{{ loop.last }},{{ loop.previtem.role if loop.previtem is defined else '-' }},{{ loop.nextitem.role if loop.nextitem is defined else '-' }},{{ loop.depth }};{% endfor %}"),
    ("loop_else", "{% for i in [] %}x{% else %}empty{% endfor %}|{% for i in [1] %}x{% else %}empty{% endfor %}|{% for i in undefined_list %}u{% else %}none{% endfor %}"),
    ("loop_filter", "{% for i in [1, 2, 3, 4] if i is even %}{{ i }}:{{ loop.index }}/{{ loop.length }} {% endfor %}|{% for m in messages if m.role == 'user' %}{{ loop.index }}{{ m.content[:3] }}{% endfor %}"),
    ("loop_break_continue", "{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}|{% for i in range(3) %}{% for j in range(3) %}{% if j > i %}{% break %}{% endif %}{{ i }}{{ j }} {% endfor %}{% endfor %}"),
    ("loop_nested", "{% for a in [1, 2] %}{% for b in 'xy' %}{{ a }}{{ b }}{{ loop.index }}{{ loop.depth }} {% endfor %}{{ loop.index }}|{% endfor %}"),
    ("loop_unpack", "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }} {% endfor %}{% for k, v in d|dictsort %}{{ k }}{% endfor %}"),
    ("loop_cycle_changed", "{% for i in range(5) %}{{ loop.cycle('a', 'b', 'c') }}{% endfor %}|{% for i in [1, 1, 2, 2, 1] %}{% if loop.changed(i) %}{{ i }}{% endif %}{% endfor %}"),
    ("range", "{{ range(5)|list }} {{ range(1, 10, 3)|list }} {{ range(5, 0, -2)|list }} {{ range(0)|list }} {{ range(3)|length }}"),
    ("loop_over_string_dict", "{% for c in 'héy' %}[{{ c }}]{% endfor %}{% for k in {'z': 1, 'a': 2} %}{{ k }}{% endfor %}"),
    # scoping, set, namespace
    ("scope_loop", "{% set v = 1 %}{% for i in [1, 2] %}[{{ v }}]{% set v = i * 10 %}[{{ v }}]{% endfor %}{{ v }}"),
    ("scope_if", "{% if true %}{% set v = 5 %}{% endif %}{{ v }}"),
    ("namespace", "{% set ns = namespace(count=0, found=false) %}{% for i in range(4) %}{% set ns.count = ns.count + i %}{% if i == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.count }} {{ ns.found }} {{ ns.missing }}"),
    ("namespace_from_dict", "{% set ns = namespace(d) %}{{ ns.a }}{{ ns.b }}{% set ns.a = 9 %}{{ ns.a }}{{ d.a }}"),
    ("set_tuple", "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set c, (e, f) = [3, [4, 5]] %}{{ c }}{{ e }}{{ f }}"),
    ("set_block", "{% set v %}hello {{ 1 + 1 }}{% endset %}[{{ v }}]{% set w | upper %}abc {{ 'd' }}{% endset %}[{{ w }}]"),
    ("set_overrides_context", "{% set messages = messages[1:] %}{{ messages|length }}{% set num = num + 1 %}{{ num }}"),
    # macros
    ("macro_defaults", "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Bob') }} {{ greet('Ann', greeting='Hi') }} {{ greet('X', 'Yo') }} [{{ greet() }}]"),
    ("macro_caller", "{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}inner {{ 1 + 1 }}{% endcall %}"),
    ("macro_caller_args", "{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(item) each([1, 2]) %}<{{ item }}>{% endcall %}"),
    ("macro_varargs", "{% macro m(a) %}{{ a }}{{ varargs }}{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}"),
    ("macro_recursive", "{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * (fact(n - 1)|int) }}{% endif %}{% endmacro %}{{ fact(5) }}"),
    ("macro_sees_globals", "{% macro m() %}{{ s }}|{{ late }}{% endmacro %}{% set late = 'L' %}{{ m() }}"),
    ("macro_in_loop", "{% for i in [1, 2] %}{% macro show() %}{{ i }}{% endmacro %}{{ show() }}{% endfor %}"),
    # other statements
    ("filter_block", "{% filter upper %}hello {{ 'x' }}{% endfilter %}|{% filter trim|replace('a', 'b') %}  aaa  {% endfilter %}"),
    ("with_block", "{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]"),
    ("generation_block", "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% endif %}{% endfor %}"),
    ("joiner", "{% set j = joiner(' | ') %}{% for m in messages %}{{ j() }}{{ m.role }}{% endfor %}"),
    ("dict_and_namespace_globals", "{{ dict(a=1, b=[2]) }} {{ dict(d)|length }}"),
    # undefined semantics and sandbox
    ("undefined_attr_error", "{{ undefined_z.attr }}"),
    ("undefined_item_error", "{{ undefined_z['k'] }}"),
    ("undefined_soft", "[{{ undefined_z ~ 'a' }}] [{% for q in undefined_z %}{% endfor %}] {{ undefined_z|length }} {{ undefined_z is defined }} {% if undefined_z %}y{% else %}n{% endif %} [{{ none.attr }}] [{{ [1][5] }}] [{{ 'abc'.nomethod }}] [{{ d.zz }}] {{ undefined_z == undefined_w }}"),
    ("undefined_call_error", "{{ undefined_fn() }}"),
    ("undefined_nested_defined_error", "{{ undefined_z.y is defined }}"),
    ("none_method_error", "{{ x.z.strip() }}"),
    ("sandbox_append_error", "{% set l = [1] %}{{ l.append(2) }}"),
    ("sandbox_pop_falsy", "{% set l = [1] %}{{ 'yes' if l.pop else 'no' }} {{ 'yes' if d.update else 'no' }}"),
    ("raise_exception", "{% if messages[0].role == 'system' %}{{ raise_exception('Bad role: ' ~ messages[0].role) }}{% endif %}"),
    ("raise_exception_unicode", "{{ raise_exception('Rôle invalide ✗') }}"),
    # syntax errors
    ("syntax_if_empty", "line1\n{% if %}x{% endif %}"),
    ("syntax_plus_dangling", "{{ 1 + }}"),
    ("syntax_stray_endfor", "ok\n  {% endfor %}"),
    ("syntax_unknown_tag", "{% frobnicate %}"),
    ("syntax_unclosed_var", "{{ x"),
    ("syntax_unclosed_if", "{% if true %}never closed"),
    ("syntax_unclosed_comment", "{# never closed"),
    ("syntax_bad_char", "{{ 1 $ 2 }}"),
    ("syntax_unbalanced", "{{ (1 + 2 }}"),
    ("syntax_extends", "{% extends 'base.html' %}"),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "fixtures", "constructs.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for name, tpl in CASES:
            f.write(json.dumps({"name": name, "template": tpl, "context": CTX}, ensure_ascii=False) + "\n")
    print(f"wrote {len(CASES)} cases to {path}")


if __name__ == "__main__":
    main()
