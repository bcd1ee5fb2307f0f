"""The PySide6 front end over `workbench.core`; nothing in the core imports from here."""
