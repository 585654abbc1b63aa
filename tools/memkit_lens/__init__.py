"""memkit-lens: see where memory goes — recordings, the HTML report, the footprint map,
explanations of diagnostic codes and static checks of C sources."""
