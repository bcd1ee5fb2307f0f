"""GAN Workbench: train, watch and compare GANs on small image datasets.

Importing the package stays cheap (no torch) so that `--help` and the GUI open fast.
"""

__version__ = "0.1.0"
