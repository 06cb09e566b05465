import numpy as np

from vrnn_tf import schedules


def test_beta_warms_up_linearly_then_stays():
    values = [float(schedules.beta_at(step, 2.0, 10)) for step in (0, 5, 10, 50)]
    np.testing.assert_allclose(values, [0.0, 1.0, 2.0, 2.0])
    assert float(schedules.beta_at(0, 2.0, 0)) == 2.0  # no warmup


def test_learning_rate_warmup_of_the_paper():
    schedule = schedules.LinearWarmup(2e-5, 1.6e-4, 100)
    np.testing.assert_allclose(
        [float(schedule(s)) for s in (0, 50, 100, 1000)], [2e-5, 9e-5, 1.6e-4, 1.6e-4], rtol=1e-5
    )
    assert schedules.LinearWarmup(**schedule.get_config()).get_config() == schedule.get_config()


def test_peak_learning_rate_scales_linearly_with_the_batch_above_the_reference():
    # The release: lr * batch_size * world_size / 16, with lr = 2e-5.
    rates = [schedules.scaled_learning_rate(2e-5, b) for b in (4, 16, 32, 128)]
    np.testing.assert_allclose(rates, [2e-5, 2e-5, 4e-5, 1.6e-4], rtol=1e-12)
    assert schedules.scaled_learning_rate(1e-3, 64, reference_batch_size=32) == 2e-3
