"""The Qt-free core: configuration, models, data, training, the run store and sampling."""
