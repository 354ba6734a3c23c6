"""Platform drivers: one module per platform behind one Protocol, chosen by driver number."""
