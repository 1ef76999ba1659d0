"""Names in AnnData objects: ``key_added`` outputs (scverse convention) and layers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


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


def layer_names(adata: Any) -> list[str]:
    """Return the names of ``adata``'s layers, for messages.

    anndata >= 0.13 lists ``X`` among the layers as ``None``; a message offering layers
    to use should not offer it.
    """
    return [str(name) for name in adata.layers if name is not None]
