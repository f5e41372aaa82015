"""British National Grid (EPSG:27700) easting/northing → WGS84 latitude/longitude, without a GIS library.

ONS point files (e.g. LSOA population-weighted centroids) come in the grid's own eastings/northings.
The inverse Transverse Mercator projection on the Airy 1830 ellipsoid is the Ordnance Survey's published
series ("A guide to coordinate systems in Great Britain", annex C); the datum shift OSGB36 → WGS84 is the
guide's 7-parameter Helmert transformation (accurate to about 5 m — ample for an area's centroid).
"""

from __future__ import annotations

from math import atan2, cos, degrees, radians, sin, sqrt, tan

AIRY_A, AIRY_B = 6377563.396, 6356256.909
GRS80_A, GRS80_B = 6378137.000, 6356752.3141
F0, LAT0, LON0, E0, N0 = 0.9996012717, radians(49.0), radians(-2.0), 400000.0, -100000.0
# OSGB36 → WGS84: the negation of the guide's WGS84 → OSGB36 parameters (metres, ppm, arc-seconds)
TX, TY, TZ, S_PPM, RX, RY, RZ = 446.448, -125.157, 542.060, -20.4894, 0.1502, 0.2470, 0.8421
ARCSEC = radians(1 / 3600)


def _meridional_arc(lat: float) -> float:
    n = (AIRY_A - AIRY_B) / (AIRY_A + AIRY_B)
    d, s = lat - LAT0, lat + LAT0
    return AIRY_B * F0 * ((1 + n + 5 / 4 * n**2 + 5 / 4 * n**3) * d
                          - (3 * n + 3 * n**2 + 21 / 8 * n**3) * sin(d) * cos(s)
                          + (15 / 8 * n**2 + 15 / 8 * n**3) * sin(2 * d) * cos(2 * s)
                          - 35 / 24 * n**3 * sin(3 * d) * cos(3 * s))


def osgb36_from_grid(easting: float, northing: float) -> tuple[float, float]:
    """(latitude, longitude) in degrees on OSGB36 for a National Grid easting/northing in metres."""
    e2 = 1 - AIRY_B**2 / AIRY_A**2
    lat = (northing - N0) / (AIRY_A * F0) + LAT0
    while abs(northing - N0 - _meridional_arc(lat)) >= 1e-5:
        lat += (northing - N0 - _meridional_arc(lat)) / (AIRY_A * F0)
    sin2 = sin(lat) ** 2
    nu = AIRY_A * F0 / sqrt(1 - e2 * sin2)
    rho = AIRY_A * F0 * (1 - e2) / (1 - e2 * sin2) ** 1.5
    eta2 = nu / rho - 1
    t, sec = tan(lat), 1 / cos(lat)
    vii = t / (2 * rho * nu)
    viii = t / (24 * rho * nu**3) * (5 + 3 * t**2 + eta2 - 9 * t**2 * eta2)
    ix = t / (720 * rho * nu**5) * (61 + 90 * t**2 + 45 * t**4)
    x = sec / nu
    xi = sec / (6 * nu**3) * (nu / rho + 2 * t**2)
    xii = sec / (120 * nu**5) * (5 + 28 * t**2 + 24 * t**4)
    xiia = sec / (5040 * nu**7) * (61 + 662 * t**2 + 1320 * t**4 + 720 * t**6)
    de = easting - E0
    phi = lat - vii * de**2 + viii * de**4 - ix * de**6
    lam = LON0 + x * de - xi * de**3 + xii * de**5 - xiia * de**7
    return degrees(phi), degrees(lam)


def wgs84_from_osgb36(lat: float, lon: float) -> tuple[float, float]:
    """Datum shift of an OSGB36 (latitude, longitude) to WGS84 (Helmert, heights taken as 0)."""
    phi, lam = radians(lat), radians(lon)
    e2 = 1 - AIRY_B**2 / AIRY_A**2
    nu = AIRY_A / sqrt(1 - e2 * sin(phi) ** 2)
    x, y, z = nu * cos(phi) * cos(lam), nu * cos(phi) * sin(lam), (1 - e2) * nu * sin(phi)
    s, rx, ry, rz = 1 + S_PPM * 1e-6, RX * ARCSEC, RY * ARCSEC, RZ * ARCSEC
    x, y, z = TX + s * x - rz * y + ry * z, TY + rz * x + s * y - rx * z, TZ - ry * x + rx * y + s * z
    e2 = 1 - GRS80_B**2 / GRS80_A**2
    p = sqrt(x * x + y * y)
    phi = atan2(z, p * (1 - e2))
    for _ in range(10):
        nu = GRS80_A / sqrt(1 - e2 * sin(phi) ** 2)
        phi = atan2(z + e2 * nu * sin(phi), p)
    return degrees(phi), degrees(atan2(y, x))


def wgs84_from_grid(easting: float, northing: float) -> tuple[float, float]:
    """(latitude, longitude) in WGS84 degrees for a British National Grid easting/northing."""
    return wgs84_from_osgb36(*osgb36_from_grid(easting, northing))


def is_grid(x: float, y: float) -> bool:
    """True for a plausible National Grid easting/northing (metres), False for longitude/latitude degrees."""
    return 0 <= x <= 700_000 and 0 <= y <= 1_300_000 and not (-180 <= x <= 180 and -90 <= y <= 90)
