"""The national side, simulated: NGSP token, population SOAP service, synthetic population, faults.

Entry points: :func:`mocks.app.create_mock_app` (ASGI app), :class:`mocks.settings.MockSettings`,
:class:`mocks.population.Population`, and ``mocks.cli.mock_app`` (``lgsp mock``). Deliberately
empty of imports, so ``import mocks.cli`` stays instant. See docs/mock.md.
"""
