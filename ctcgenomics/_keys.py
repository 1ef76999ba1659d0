"""Names of the outputs of functions that take ``key_added`` (scverse convention)."""

from __future__ import annotations

from collections.abc import Callable


def output_namer(key_added: str, default: str) -> Callable[[str], str]:
    """Return the function naming each output (obs/var column, layer, obsm) of one call.

    With the function's default key an output keeps its documented name, the name the
    workflow, the report and the next steps read. Any other ``key_added`` prefixes every
    output, ``f"{key_added}_{name}"``, so runs with different keys live side by side in
    one AnnData (as infercnvpy's ``key_added`` names ``obsm[f"X_{key_added}"]``).

    Parameters
    ----------
    key_added
        The caller's ``key_added``.
    default
        The function's default ``key_added``.
    """
    if key_added == default:
        return lambda name: name
    return lambda name: f"{key_added}_{name}"
