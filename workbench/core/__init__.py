"""The Qt-free core: everything that trains, stores, loads and measures.

Loose modules are the few that everything uses: `config`, `presets`, `geometry`, `events`,
`atomic`, `file_locks`, `paths`. The rest live in rooms of one concern, each importing only
those below it (checked by import-linter, see pyproject.toml): `sweeps` → `training` →
`evaluation` → `outputs` | `data` → `store` → `nets`.
"""
