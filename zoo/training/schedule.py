"""Learning-rate schedule: linear warmup, then cosine decay to min_lr_ratio · peak.

The peak learning rate in a recipe is for the recipe's *global* batch; changing the
number of replicas does not change the global batch (per-replica batch = global /
replicas), so the schedule is unchanged.

>>> from zoo.training.schedule import WarmupCosine
>>> s = WarmupCosine(1e-3, warmup_steps=10, total_steps=100, min_lr_ratio=0.1)
>>> round(float(s(10)), 6), round(float(s(100)), 6)
(0.001, 0.0001)
"""
import math

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="zoo")
class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
    def __init__(self, peak, warmup_steps, total_steps, min_lr_ratio=0.1):
        self.peak = float(peak)
        self.warmup_steps = int(warmup_steps)
        self.total_steps = int(total_steps)
        self.min_lr_ratio = float(min_lr_ratio)

    def __call__(self, step):
        step = tf.cast(step, tf.float32)
        warm = tf.cast(max(1, self.warmup_steps), tf.float32)
        span = tf.cast(max(1, self.total_steps - self.warmup_steps), tf.float32)
        progress = tf.clip_by_value((step - warm) / span, 0.0, 1.0)
        cosine = 0.5 * (1.0 + tf.cos(math.pi * progress))
        decayed = self.peak * (self.min_lr_ratio + (1.0 - self.min_lr_ratio) * cosine)
        return tf.where(step < warm, self.peak * step / warm, decayed)

    def get_config(self):
        return {"peak": self.peak, "warmup_steps": self.warmup_steps,
                "total_steps": self.total_steps, "min_lr_ratio": self.min_lr_ratio}
