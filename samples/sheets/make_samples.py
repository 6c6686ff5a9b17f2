#!/usr/bin/env python3
# Regenerates the spreadsheet samples used by `claw import sheet` tests and goldens.
#
#   pip install openpyxl==3.1.5 odfpy==1.4.1
#   python3 samples/sheets/make_samples.py
#
# The generated files are committed, so tests never need Python. Output is deterministic:
# workbook metadata carries a fixed timestamp and every zip entry is rewritten with a fixed
# date, so re-running the script gives byte-identical files.
#
# openpyxl stores formulas without a cached value; Excel and LibreOffice store both. The
# importer reads cached values (it never evaluates formulas), so `add_cached_values` writes
# the cached value next to each formula, as a spreadsheet application would.

import datetime
import io
import os
import re
import zipfile

import openpyxl
from openpyxl.styles import Font
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableRow, TableCell
from odf.text import P

HERE = os.path.dirname(os.path.abspath(__file__))
FIXED = datetime.datetime(2024, 1, 1, 0, 0, 0)
ZIP_DATE = (2024, 1, 1, 0, 0, 0)


def normalise_zip(path, patch=None):
    """Rewrites a zip with fixed entry dates (and optional per-entry text patches)."""
    with zipfile.ZipFile(path) as z:
        entries = [(i, z.read(i.filename)) for i in z.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info, data in entries:
            if patch:
                data = patch(info.filename, data)
            zi = zipfile.ZipInfo(info.filename, ZIP_DATE)
            zi.compress_type = info.compress_type
            zi.external_attr = 0o644 << 16
            out.writestr(zi, data)
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def add_cached_values(cached):
    """Patch function: `<f>FORMULA</f><v></v>` gets the cached value `cached[FORMULA]`."""

    def patch(name, data):
        if not name.startswith("xl/worksheets/"):
            return data
        text = data.decode("utf-8")
        for formula, value in cached.items():
            text = re.sub(
                r"<f>" + re.escape(formula) + r"</f>(<v\s*/>|<v></v>)?",
                "<f>" + formula + "</f><v>" + str(value) + "</v>",
                text,
            )
        return text.encode("utf-8")

    return patch


def runbook_xlsx(path):
    wb = openpyxl.Workbook()
    wb.properties.created = FIXED
    wb.properties.modified = FIXED
    wb.properties.creator = "openclaw samples"
    ws = wb.active
    ws.title = "Nightly jobs"
    # Title and notes above the header row (header on row 4).
    ws["A1"] = "Operations runbook"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = "Maintained by the ops team; reviewed monthly."
    header = ["ID", "Automation", "Trigger", "Schedule", "Condition", "Action", "System", "Target",
              "Owner / Escalation", "Retries", "SLA", "Status", "Notes", "Last reviewed"]
    for c, h in enumerate(header, start=1):
        ws.cell(row=4, column=c, value=h).font = Font(bold=True)
    rows = [
        ["J-1", "Backup orders DB", None, "daily 02:00 Europe/Paris", None, "Run /opt/jobs/backup.sh --full", "cron", None,
         "ops@example.com", 3, "1 hour", "active", "DB login password=hunter2", datetime.date(2024, 3, 1)],
        # Follow-on step: no trigger, no schedule, no blank row above.
        ["J-2", "Upload dump", None, None, None, "run /opt/jobs/upload.sh", "rclone", None,
         "ops@example.com", "=2+1", "30 min", "active", None, datetime.date(2024, 3, 1)],
        [None] * 14,
        ["Finance"] + [None] * 13,
        ["J-3", "Invoice reminder", None, "every weekday at 9:00", "amount > 1000", "Send email to finance", "Gmail",
         "finance@example.com", "#finance-oncall", 2, "30 min", "active", None, None],
        ["J-4", "Month-end summary", None, "1st of month at 6pm", None, "Post summary", "Slack", "#finance",
         "#finance-oncall", 1, None, "paused", "Paused until the new ledger goes live", None],
        ["J-5", "Reconcile ledgers", None, "first monday of the month", None, "Reconcile invoices", "NetSuite", None,
         "Finance team", None, "by 9am", "active", None, None],
        ["J-6", "Fulfil new orders", "New order in Shop", None, "only if paid", "Call fulfilment API", None,
         "https://svc:s3cr3t-pass@fulfil.example.com/orders", "ops@example.com", 5, "2 min", "active", None, None],
        [None] * 14,
        # J-7 and J-8 share one merged schedule cell: J-8 runs after J-7.
        ["J-7", "Drain retry queue", None, "every 15 minutes", None, "run /opt/jobs/drain.sh", None, None,
         "ops@example.com", 1, "5m", "active", None, None],
        ["J-8", "Report drained", None, None, None, "Post to #ops-log", "Slack", None,
         "ops@example.com", 1, None, "active", None, None],
        ["J-9", "Warm caches", None, datetime.time(6, 30), None, "Call https://cache.example.com/warm", None, None,
         "ops@example.com", 2, "10 min", "active", None, None],
    ]
    for i, row in enumerate(rows):
        for c, v in enumerate(row, start=1):
            if v is not None:
                cell = ws.cell(row=5 + i, column=c, value=v)
                if isinstance(v, datetime.date) and not isinstance(v, datetime.datetime):
                    cell.number_format = "yyyy-mm-dd"
                if isinstance(v, datetime.time):
                    cell.number_format = "hh:mm"
    ws.merge_cells("D14:D15")
    # Trailing empty but formatted columns, as real sheets often have.
    for c in range(15, 19):
        ws.cell(row=4, column=c).font = Font(bold=True)

    rules = wb.create_sheet("Carrier rules")
    rules["A1"] = "Hit policy: FIRST"
    rules["A2"] = "Conditions"
    rules["D2"] = "Outcomes"
    rules.merge_cells("A2:C2")
    rules.merge_cells("D2:E2")
    for c, h in enumerate(["Region", "max weight", "Order total", "Carrier", "Cost"], start=1):
        rules.cell(row=3, column=c, value=h).font = Font(bold=True)
    data = [
        ["EU, UK", 30, "<= 100", "DHL", 4.5],
        ["EU, UK", 30, "> 100", "DHL Express", 0],
        ["US", "*", "[0..250]", "UPS", 9],
        ["not US", "*", None, "FedEx", "=6*2"],
        ["*", "*", "*", "Manual review", None],
    ]
    for i, row in enumerate(data):
        for c, v in enumerate(row, start=1):
            if v is not None:
                rules.cell(row=4 + i, column=c, value=v)

    contacts = wb.create_sheet("Contacts")
    contacts.append(["Name", "Phone"])
    contacts.append(["Dana", "+33 1 23 45 67 89"])

    wb.save(path)
    normalise_zip(path, add_cached_values({"2+1": 3, "6*2": 12}))


def ods_cell(value):
    if value is None:
        return TableCell()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        cell = TableCell(valuetype="float", value=value)
    else:
        cell = TableCell(valuetype="string")
    cell.addElement(P(text=str(value)))
    return cell


def ods_sheet(doc, name, rows):
    t = Table(name=name)
    for row in rows:
        tr = TableRow()
        for v in row:
            tr.addElement(ods_cell(v))
        t.addElement(tr)
    doc.spreadsheet.addElement(t)


def discounts_ods(path):
    doc = OpenDocumentSpreadsheet()
    ods_sheet(doc, "Discounts", [
        ["IF Customer tier", "IF Order total", "THEN Discount", "THEN Approval", "Annotation"],
        ["gold", ">= 1000", 15, "auto", "best customers"],
        ["gold", "[100..1000)", 10, "auto", None],
        ["silver, bronze", "> 500", 5, "manager", None],
        [None, None, None, None, None],
        ["*", "*", 0, "none", "everyone else"],
    ])
    ods_sheet(doc, "Priority", [
        ["U", "Severity", "Customers affected", "Page", "Channel"],
        [1, "critical", "*", "TRUE", "#incident"],
        [2, "high", "> 100", "TRUE", "#incident"],
        [3, "high", "<= 100", "FALSE", "#support"],
        [4, "low, medium", "*", "FALSE", "#support"],
    ])
    doc.save(path)
    normalise_zip(path)


def write(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def main():
    runbook_xlsx(os.path.join(HERE, "ops-runbook.xlsx"))
    discounts_ods(os.path.join(HERE, "discounts.ods"))
    write(os.path.join(HERE, "escalations.csv"),
          "Name,When,Action,Channel,Owner,Dedupe key,Retries,Timeout\r\n"
          "Page on-call,Webhook from Grafana,Post alert to Slack,#ops-oncall,#ops-oncall,alert.fingerprint,3,30s\r\n"
          "Notify customer,On demand,Send email to customer,support@example.com,support@example.com,ticket.id,2,1m\r\n"
          "Sync CRM,hourly at :15,Call https://crm.example.com/sync?token=xoxb-1234567890-abcdefghij,,ops@example.com,,3,5m\r\n"
          ",,,,,,,\r\n"
          "Archive tickets,every sunday at 3am,Archive closed tickets in Zendesk,,Support leads,,1,1h\r\n")
    write(os.path.join(HERE, "approvals.tsv"),
          "Department\tAmount\tApprover\tEscalate after\n"
          "Engineering\t<= 500\tteam-lead\t2d\n"
          "Engineering\t> 500\tcto\t1d\n"
          "Finance\t*\tcfo\t1d\n"
          "*\t*\tfinance-desk\t3d\n")
    bad = os.path.join(HERE, "bad")
    os.makedirs(bad, exist_ok=True)
    # Deterministic "binary garbage": bytes from a fixed linear congruential sequence.
    x, junk = 12345, bytearray()
    for _ in range(2048):
        x = (1103515245 * x + 12345) % (1 << 31)
        junk.append(x >> 16 & 0xFF)
    with open(os.path.join(bad, "garbage.xlsx"), "wb") as f:
        f.write(bytes(junk))
    with open(os.path.join(bad, "garbage.csv"), "wb") as f:
        f.write(bytes(junk))
    with open(os.path.join(HERE, "ops-runbook.xlsx"), "rb") as f:
        whole = f.read()
    with open(os.path.join(bad, "truncated.xlsx"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    write(os.path.join(bad, "contacts.csv"), "Name,Phone,City\nDana,+33 1 23 45 67 89,Lyon\n")


if __name__ == "__main__":
    main()
