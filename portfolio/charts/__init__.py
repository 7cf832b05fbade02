"""Pure chart builders, (Polars frame, ...) -> Plotly figure, one module per area; the
colours and layout they share are in `theme`."""
