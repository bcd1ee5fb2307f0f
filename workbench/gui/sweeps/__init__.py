"""The Sweeps tab: the sweep list and table, the editor, the sweep worker."""
