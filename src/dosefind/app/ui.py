"""``dosefind app``: the Shiny for Python page over :mod:`dosefind.app.core`.

Two tabs. *Design*: a spec file (designs and scenarios, the TOML ``dosefind simulate`` reads) edited in
the page or uploaded, a form that adds a design block written by the library, a comparison run in a
worker thread with progress and a Cancel button, the operating characteristics with MCSE, and the TOML
and tidy CSV to download. *Meeting*: a design (or arm) file and the trial data (CSV or outcome notation),
the recommendation with the rule that fired and the per-dose posterior, the pathways of the next cohorts,
the decision table, what-if cohorts (never logged), recording the meeting's decision in the audit log
(only on its button), verifying the log and downloading the meeting report.

Every value shown comes from :mod:`dosefind.app.core`; every HTML fragment is escaped there or by the
result classes' ``_repr_html_``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from shiny import App, reactive, render, ui

from ..errors import DosefindError
from . import core

ROOT = Path(__file__).resolve().parents[3]


def _bundled(relative: str, fallback: str = "") -> str:
    """A bundled example's text when running from a checkout (empty in an installed package)."""
    path = ROOT / relative
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return fallback


def _message(text: str, kind: str = "error") -> ui.Tag:
    colour = {"error": "#a40000", "ok": "#1b5e20", "note": "#444"}[kind]
    return ui.div(text, class_=f"dosefind-{kind}", style=f"color:{colour};white-space:pre-wrap")


def _data_uri(png: bytes) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _upload_text(files, field: str) -> str | None:
    """The text of an uploaded file, size-checked before it is read (None: no file)."""
    if not files:
        return None
    info = files[0]
    if int(info.get("size", 0)) > core.MAX_TEXT_BYTES:
        raise DosefindError(
            f"{field}: {int(info['size']):,} bytes is larger than the {core.MAX_TEXT_BYTES:,} accepted"
        )
    return core.check_text(field, Path(info["datapath"]).read_bytes())


def _fill_from_upload(files, field: str, area: str, on_error) -> None:
    """Put an uploaded file's text into the text area ``area``; a refused upload goes to ``on_error``."""
    try:
        text = _upload_text(files, field)
    except DosefindError as e:
        on_error(str(e))
        return
    if text is not None:
        ui.update_text_area(area, value=text)


DESIGN_KINDS = {
    "boin": "BOIN",
    "crm": "CRM",
    "three_plus_three": "3+3",
    "keyboard": "Keyboard",
    "mtpi2": "mTPI-2",
}


def make_ui(spec_text: str, design_text: str, data_text: str):
    design_tab = ui.nav_panel(
        "Design",
        ui.layout_columns(
            ui.div(
                ui.input_text_area(
                    "d_spec", "Spec file (designs and scenarios, TOML)", spec_text, rows=18, width="100%"
                ),
                ui.input_file("d_spec_file", "or upload a spec file", accept=[".toml"]),
                ui.h5("Add a design"),
                ui.input_select("d_kind", "kind", DESIGN_KINDS),
                ui.input_text("d_name", "name", ""),
                ui.input_numeric("d_target", "target DLT rate", 0.3),
                ui.input_numeric("d_ndoses", "doses", 6),
                ui.input_numeric("d_maxn", "max n", 36),
                ui.input_numeric("d_cohort", "cohort size", 3),
                ui.input_action_button("d_add", "Add to the spec"),
                ui.output_ui("d_form_msg"),
            ),
            ui.div(
                ui.input_numeric(
                    "d_trials", "trials per design and scenario", 2000, min=1, max=core.MAX_TRIALS
                ),
                ui.input_numeric("d_seed", "seed", 1),
                ui.input_action_button("d_run", "Compare designs", class_="btn-primary"),
                ui.input_action_button("d_cancel", "Cancel"),
                ui.output_ui("d_progress"),
                ui.output_ui("d_result"),
                ui.output_ui("d_plot"),
                ui.download_button("d_toml", "Download the spec (TOML)"),
                ui.download_button("d_csv", "Download the results (CSV)"),
                ui.download_button("d_png", "Download the figure (PNG)"),
            ),
            col_widths=(5, 7),
        ),
    )
    meeting_tab = ui.nav_panel(
        "Meeting",
        ui.layout_columns(
            ui.div(
                ui.input_text_area(
                    "m_design", "Design or arm file (TOML)", design_text, rows=10, width="100%"
                ),
                ui.input_file("m_design_file", "or upload it", accept=[".toml"]),
                ui.input_text_area("m_data", "Trial data (CSV)", data_text, rows=8, width="100%"),
                ui.input_file("m_data_file", "or upload it", accept=[".csv"]),
                ui.input_text("m_notation", "or outcomes in notation (when there is no CSV)", ""),
                ui.input_text("m_whatif", "what if the next cohorts were (never logged), e.g. 3NNT", ""),
                ui.input_numeric("m_cohorts", "pathways: future cohorts", 2, min=1, max=4),
                ui.input_text("m_scenario", "pathways: true DLT rates (optional)", ""),
                ui.input_text("m_as_of", "data as of (YYYY-MM-DD; dated CSV, optional)", ""),
                ui.input_numeric(
                    "m_window", "DLT window in days (default: the design file's [timing])", None
                ),
                ui.input_action_button("m_go", "Recommend", class_="btn-primary"),
            ),
            ui.div(
                ui.output_ui("m_result"),
                ui.h5("Record the meeting's decision (audit log)"),
                ui.input_text("m_dose", "dose given next (a label, or none)", ""),
                ui.input_text("m_decision", "decision", ""),
                ui.input_text("m_reason", "reason", ""),
                ui.input_text("m_by", "decided by", ""),
                ui.input_action_button("m_record", "Record in the audit log"),
                ui.input_action_button("m_verify", "Verify the log"),
                ui.output_ui("m_log_msg"),
                ui.download_button("m_report", "Download the meeting report (HTML)"),
                ui.output_ui("m_plot"),
                ui.output_ui("m_paths"),
                ui.output_ui("m_table"),
            ),
            col_widths=(4, 8),
        ),
    )
    return ui.page_navbar(design_tab, meeting_tab, title="dosefind", id="tabs", window_title="dosefind")


def make_server(log_path: Path):
    def server(input, output, session):
        comparison = reactive.value(None)
        study = reactive.value(None)
        view = reactive.value(None)
        m_error = reactive.value("")
        log_msg = reactive.value(None)
        form_msg = reactive.value(None)

        # ---- design tab --------------------------------------------------------------------------------
        @reactive.effect
        @reactive.event(input.d_spec_file)
        def _load_spec():
            _fill_from_upload(input.d_spec_file(), "spec file", "d_spec", lambda m: form_msg.set(_message(m)))

        @reactive.effect
        @reactive.event(input.d_add)
        def _add_design():
            fields = {
                "target": input.d_target(),
                "n_doses": input.d_ndoses(),
                "max_n": input.d_maxn(),
                "cohort_size": input.d_cohort(),
                "name": input.d_name().strip() or None,
            }
            try:
                block = core.design_toml(input.d_kind(), fields).replace("[design]", "[[designs]]", 1)
            except DosefindError as e:
                form_msg.set(_message(str(e)))
                return
            ui.update_text_area("d_spec", value=input.d_spec().rstrip() + "\n\n" + block)
            form_msg.set(_message("design added to the spec", "ok"))

        @render.ui
        def d_form_msg():
            return form_msg()

        @reactive.extended_task
        async def run_comparison(text, trials, seed, state):
            return await asyncio.to_thread(core.compare, text, trials, seed, state)

        @reactive.effect
        @reactive.event(input.d_run)
        def _run():
            state = core.Comparison()
            comparison.set(state)
            study.set(None)
            run_comparison(input.d_spec(), input.d_trials() or 0, input.d_seed() or 0, state)

        @reactive.effect
        @reactive.event(input.d_cancel)
        def _cancel():
            state = comparison()
            if state is not None:
                state.cancel.set()

        @reactive.effect
        def _finished():
            status = run_comparison.status()
            if status == "success":
                study.set(run_comparison.result())
            elif status == "error":
                state = comparison()
                if state is not None:
                    try:
                        run_comparison.result()
                    except DosefindError as e:
                        state.error = str(e)
                    except Exception as e:  # never a traceback in the page
                        state.error = f"the comparison failed: {type(e).__name__}: {e}"

        @render.ui
        def d_progress():
            state = comparison()
            status = run_comparison.status()
            if state is None:
                return None
            if status == "running":
                reactive.invalidate_later(0.5)
                share = state.done / state.total if state.total else 0.0
                return _message(
                    f"running: {state.done:,} of {state.total:,} trials ({100 * share:.0f}%)", "note"
                )
            if state.error:
                return _message(state.error)
            if status == "success":
                r = run_comparison.result()
                return _message(
                    f"finished: {r.provenance['n_trials']:,} trials per design and scenario", "ok"
                )
            return None

        @render.ui
        def d_result():
            result = study()
            return ui.HTML(result._repr_html_()) if result is not None else None

        @render.ui
        def d_plot():
            result = study()
            if result is None:
                return None
            try:
                png = core.selection_png(result)
            except DosefindError as e:
                return _message(str(e), "note")
            return ui.img(src=_data_uri(png), alt="selection per dose", style="max-width:100%")

        @render.download_button(filename="selection.png", media_type="image/png")
        def d_png():
            result = study()
            if result is not None:
                yield core.selection_png(result)

        @render.download_button(filename="spec.toml")
        def d_toml():
            yield input.d_spec()

        @render.download_button(filename="results.csv")
        def d_csv():
            from ..report.tables import to_csv

            result = study()
            yield to_csv(result) if result is not None else "# no comparison has finished yet\n"

        # ---- meeting tab -------------------------------------------------------------------------------
        @reactive.effect
        @reactive.event(input.m_design_file)
        def _load_design():
            _fill_from_upload(input.m_design_file(), "design file", "m_design", m_error.set)

        @reactive.effect
        @reactive.event(input.m_data_file)
        def _load_data():
            _fill_from_upload(input.m_data_file(), "trial data", "m_data", m_error.set)

        @reactive.effect
        @reactive.event(input.m_go)
        def _recommend():
            inputs = core.MeetingInputs(
                design_text=input.m_design(),
                data_text=input.m_data(),
                notation=input.m_notation(),
                what_if=input.m_whatif(),
                path_cohorts=int(input.m_cohorts() or 2),
                scenario=input.m_scenario(),
                as_of=input.m_as_of(),
                window_days=input.m_window() or None,
            )
            try:
                view.set(core.meeting(inputs))
                m_error.set("")
            except DosefindError as e:
                view.set(None)
                m_error.set(str(e))
            log_msg.set(None)

        @render.ui
        def m_result():
            if m_error():
                return _message(m_error())
            v = view()
            if v is None:
                return _message("Load a design and the trial data, then press Recommend.", "note")
            parts = [ui.h4(v.headline, id="m_headline")]
            if v.what_if:
                parts.append(
                    _message("what-if: these cohorts are hypothetical and cannot be recorded", "note")
                )
            if v.arm_recommendation is not None:
                from ..report.recommendation import format_arm_recommendation

                parts.append(ui.pre(format_arm_recommendation(v.arm_recommendation)))
            parts.append(ui.HTML(v.recommendation._repr_html_()))
            return ui.div(*parts)

        @render.ui
        def m_plot():
            v = view()
            if v is None:
                return None
            try:
                png = core.posterior_png(v)
            except DosefindError as e:
                return _message(str(e), "note")
            return ui.img(src=_data_uri(png), alt="posterior per dose", style="max-width:100%")

        @render.ui
        def m_paths():
            v = view()
            if v is None:
                return None
            if v.paths is None:
                return _message("no pathways for a design that decides on responses too", "note")
            return ui.HTML(v.paths._repr_html_())

        @render.ui
        def m_table():
            v = view()
            if v is None:
                return None
            text = core.decision_table_text(v)
            return (
                ui.pre(text)
                if text
                else _message("no decision table for this design: see the pathways", "note")
            )

        @reactive.effect
        @reactive.event(input.m_record)
        def _record():
            v = view()
            if v is None:
                log_msg.set(_message("press Recommend first"))
                return
            try:
                rseq, dseq, overruled = core.record_decision(
                    log_path, v, input.m_dose(), input.m_decision(), input.m_reason(), input.m_by()
                )
            except DosefindError as e:
                log_msg.set(_message(str(e)))
                return
            how = {True: "overrules the design", False: "follows the design", None: "no next dose to compare"}
            log_msg.set(
                _message(
                    f"recorded in {log_path.name}: recommendation {rseq}, decision {dseq} ({how[overruled]})",
                    "ok",
                )
            )

        @reactive.effect
        @reactive.event(input.m_verify)
        def _verify():
            from ..live.audit import AuditLog

            if not log_path.exists():
                log_msg.set(_message(f"{log_path.name}: nothing recorded yet", "note"))
                return
            try:
                result = AuditLog.open_existing(log_path).verify()
            except DosefindError as e:
                log_msg.set(_message(str(e)))
                return
            if result.ok:
                text = f"{log_path.name}: ok, {result.n_records} records, head {result.head_hash}"
            else:
                text = f"{log_path.name}: BROKEN: " + "; ".join(result.problems)
            log_msg.set(_message(text, "ok" if result.ok else "error"))

        @render.ui
        def m_log_msg():
            return log_msg()

        @render.download_button(filename="meeting.html")
        def m_report():
            v = view()
            yield core.report_html(v) if v is not None else "<p>press Recommend first</p>"

    return server


def make_app(log_path: Path, token: str | None = None):
    """The ASGI application: the page, and with ``token`` a gate that admits only requests carrying it
    (``?token=...`` once, then a cookie)."""
    spec_text = _bundled("scenarios/target30-6dose.toml")
    design_text = _bundled("examples/meeting/arm-a.toml")
    data_text = _bundled("examples/meeting/arm-a.csv")
    shiny_app = App(make_ui(spec_text, design_text, data_text), make_server(Path(log_path)))
    return shiny_app if token is None else TokenGate(shiny_app, token)


class TokenGate:
    """ASGI middleware: a request (page, asset or websocket) needs ``token`` as the ``token`` query
    parameter or the ``dosefind_token`` cookie; the first page load with the parameter sets the cookie."""

    def __init__(self, app, token: str):
        self.app = app
        self.token = token

    def _has_token(self, scope) -> tuple[bool, bool]:
        from http.cookies import SimpleCookie
        from urllib.parse import parse_qs

        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        in_query = self.token in query.get("token", [])
        cookie = SimpleCookie()
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                cookie.load(value.decode("latin-1"))
        in_cookie = "dosefind_token" in cookie and cookie["dosefind_token"].value == self.token
        return in_query or in_cookie, in_query

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        ok, in_query = self._has_token(scope)
        if not ok:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 4403})
                return
            body = b"dosefind app: add ?token=... (the token given to dosefind app --token) to the address"
            await send(
                {"type": "http.response.start", "status": 403, "headers": [(b"content-type", b"text/plain")]}
            )
            await send({"type": "http.response.body", "body": body})
            return
        if in_query and scope["type"] == "http":

            async def send_with_cookie(message):
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    value = f"dosefind_token={self.token}; HttpOnly; SameSite=Strict; Path=/"
                    headers.append((b"set-cookie", value.encode("latin-1")))
                    message = {**message, "headers": headers}
                await send(message)

            return await self.app(scope, receive, send_with_cookie)
        return await self.app(scope, receive, send)
