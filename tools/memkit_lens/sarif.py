"""SARIF 2.1.0 for `memkit-lens check`: the subset code-scanning services read (one run, the
tool's rules named from the diagnostics catalogue, one result per finding)."""
import os
import urllib.parse
from typing import Dict, Iterable, List

from . import catalogue

VERSION = "2.1.0"
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def uri(path: str) -> str:
    """A file under the working directory as a relative URI (what code scanning resolves
    against the checkout), any other as an absolute file:// URI."""
    full, here = os.path.abspath(path), os.getcwd()
    if os.path.commonpath([full, here]) == here:
        return urllib.parse.quote(os.path.relpath(full, here).replace(os.sep, "/"))
    return "file://" + urllib.parse.quote(full.replace(os.sep, "/"))


def document(findings: Iterable, codes: List[str], entries: Dict[str, catalogue.Entry]) -> dict:
    """A SARIF log; `codes` are the rules the tool has (each gets a rule, found or not)."""
    rules = []
    for code in codes:
        entry = entries.get(code)
        text = entry.meaning.replace("`", "") if entry else code
        rules.append({
            "id": code,
            "name": code,
            "shortDescription": {"text": text},
            "fullDescription": {"text": text},
            "help": {"text": f"memkit-lens explain {code}"},
            "defaultConfiguration": {"level": "warning"},
        })
    index = {code: i for i, code in enumerate(codes)}
    results = [{
        "ruleId": f.code,
        "ruleIndex": index[f.code],
        "level": "warning",
        "message": {"text": f.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": uri(f.path)},
            "region": {"startLine": f.line, "startColumn": f.column},
        }}],
    } for f in findings]
    return {
        "$schema": SCHEMA,
        "version": VERSION,
        "runs": [{
            "tool": {"driver": {"name": "memkit-lens check", "rules": rules}},
            "results": results,
        }],
    }
