import numpy as np

from robomem.perception.describe import caption, dominant_colour, extent, rgb_to_lab, size_class


def test_colour_names_of_typical_indoor_colours():
    cases = {"red": (180, 30, 35), "brown": (120, 80, 45), "beige": (215, 195, 160), "white": (235, 235, 230),
             "grey": (128, 128, 130), "black": (25, 25, 28), "blue": (40, 70, 200), "green": (40, 150, 60),
             "purple": (110, 50, 150), "yellow": (220, 200, 40), "orange": (230, 120, 30), "pink": (240, 160, 190)}
    for name, rgb in cases.items():
        assert dominant_colour(np.array([rgb], np.uint8)) == name, (name, rgb)


def test_dominant_colour_is_the_most_frequent_name():
    px = np.array([(200, 30, 30)] * 30 + [(240, 240, 240)] * 70, np.uint8)
    assert dominant_colour(px) == "white"


def test_extent_and_size_class_ignore_orientation_and_stray_points():
    rng = np.random.default_rng(0)
    rod = np.zeros((500, 3))
    rod[:, 0] = rng.uniform(0, 0.5, 500)
    rot = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    pts = np.vstack([rod @ rot.T, [[5.0, 5.0, 5.0]]])  # one stray point far away
    assert abs(extent(pts) - 0.5) < 0.03
    assert [size_class(x) for x in (0.1, 0.4, 1.2)] == ["small", "medium", "large"]
    assert caption(np.array([(40, 70, 200)] * 10, np.uint8), pts, flat=True) == "medium blue flat object"


def test_lab_of_white_and_black():
    lab = rgb_to_lab(np.array([[255, 255, 255], [0, 0, 0]], np.uint8))
    assert np.allclose(lab[0], [100, 0, 0], atol=0.5) and np.allclose(lab[1], [0, 0, 0], atol=0.5)
