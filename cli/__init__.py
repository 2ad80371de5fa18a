"""Click front end of pilotqa (installed as the package ``pilotqa_cli``; console script ``pilotqa``)."""
__all__: list[str] = []
