"""The exhibition floor plan as SVG geometry, computed from the booths' positions (metres)."""

from __future__ import annotations

from dataclasses import dataclass

SCALE = 24  # SVG units per metre
MARGIN = 1  # metres around the booths


@dataclass
class Shape:
    state: object  # services.BoothState
    x: int
    y: int
    width: int
    height: int

    @property
    def booth(self):
        return self.state.booth

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.y + self.height / 2


@dataclass
class Zone:
    name: str
    x: int
    y: int


@dataclass
class Plan:
    width: int
    height: int
    shapes: list[Shape]
    zones: list[Zone]


def plan(states) -> Plan:
    """Booths placed on a grid of SCALE units per metre, with each zone's name above it."""
    states = list(states)
    if not states:
        return Plan(0, 0, [], [])
    shapes = []
    zone_corner: dict[str, tuple[int, int]] = {}
    right = bottom = 0
    for state in states:
        booth = state.booth
        x = (booth.x + MARGIN) * SCALE
        y = (booth.y + MARGIN + 1) * SCALE  # a row for the zone labels on top
        shapes.append(Shape(state, x, y, booth.width * SCALE, booth.depth * SCALE))
        right = max(right, booth.x + booth.width)
        bottom = max(bottom, booth.y + booth.depth)
        corner = zone_corner.get(booth.zone)
        if booth.zone and (corner is None or (booth.y, booth.x) < (corner[1], corner[0])):
            zone_corner[booth.zone] = (booth.x, booth.y)
    zones = [
        Zone(name, (x + MARGIN) * SCALE, (y + MARGIN + 1) * SCALE - 6)
        for name, (x, y) in sorted(zone_corner.items())
    ]
    return Plan((right + 2 * MARGIN) * SCALE, (bottom + 2 * MARGIN + 1) * SCALE, shapes, zones)
