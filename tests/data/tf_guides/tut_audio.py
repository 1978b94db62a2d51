# TF tutorial "Simple audio recognition" (tensorflow.org/tutorials/audio/simple_audio): WAV files
# generated here (sine tones of 4 "commands") in place of the speech-commands download
import io
import os
import tempfile
import wave

import numpy as np
import tensorflow as tf

from tensorflow.keras import layers
from tensorflow.keras import models

seed = 42
tf.random.set_seed(seed)
np.random.seed(seed)

DATASET_PATH = os.path.join(tempfile.mkdtemp(), 'mini_speech_commands')
commands = np.array(['down', 'go', 'left', 'no'])
rng = np.random.default_rng(0)
for k, name in enumerate(commands):
    os.makedirs(os.path.join(DATASET_PATH, name))
    for i in range(6):
        t = np.arange(16000 - 500 * (i % 3)) / 16000.0
        x = 0.5 * np.sin(2 * np.pi * (300 + 250 * k) * t) + 0.05 * rng.normal(size=t.shape)
        buf = io.BytesIO()
        with wave.open(buf, 'wb') as w:
            w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
            w.writeframes((np.clip(x, -1, 1) * 32767).astype('<i2').tobytes())
        with open(os.path.join(DATASET_PATH, name, f'{i:03d}.wav'), 'wb') as f:
            f.write(buf.getvalue())

commands = np.array(tf.io.gfile.listdir(str(DATASET_PATH)))
commands = commands[(commands != 'README.md') & (commands != '.DS_Store')]
print('Commands:', sorted(commands))

train_ds, val_ds = tf.keras.utils.audio_dataset_from_directory(
    directory=DATASET_PATH,
    batch_size=4,
    validation_split=0.25,
    seed=0,
    output_sequence_length=16000,
    subset='both')

label_names = np.array(train_ds.class_names)
print()
print("label names:", label_names)
print(train_ds.element_spec[1])   # (the audio spec: TF (None, 16000, None), graphflow (None, 16000, 1))


def squeeze(audio, labels):
    audio = tf.squeeze(audio, axis=-1)
    return audio, labels


train_ds = train_ds.map(squeeze, tf.data.AUTOTUNE)
val_ds = val_ds.map(squeeze, tf.data.AUTOTUNE)
test_ds = val_ds.shard(num_shards=2, index=0)
val_ds = val_ds.shard(num_shards=2, index=1)

for example_audio, example_labels in train_ds.take(1):
    print(example_audio.shape)
    print(example_labels.shape)


def get_spectrogram(waveform):
    # Convert the waveform to a spectrogram via a STFT.
    spectrogram = tf.signal.stft(
        waveform, frame_length=255, frame_step=128)
    # Obtain the magnitude of the STFT.
    spectrogram = tf.abs(spectrogram)
    # Add a `channels` dimension, so that the spectrogram can be used
    # as image-like input data with convolution layers (which expect
    # shape (`batch_size`, `height`, `width`, `channels`).
    spectrogram = spectrogram[..., tf.newaxis]
    return spectrogram


for i in range(3):
    label = label_names[example_labels[i]]
    waveform = example_audio[i]
    spectrogram = get_spectrogram(waveform)
    print('Label known:', label in label_names)
    print('Waveform shape:', waveform.shape)
    print('Spectrogram shape:', spectrogram.shape)

# exact values of the STFT of a known signal
sig = tf.constant(np.sin(np.arange(600) * 0.3).astype('float32'))
st = tf.signal.stft(sig, frame_length=255, frame_step=128)
print(st.shape, st.dtype)
print(np.round(tf.abs(st).numpy()[:, [0, 1, 12, 13]], 3).tolist())
print(np.round(tf.signal.hann_window(8).numpy(), 5).tolist())
wav = tf.io.read_file(os.path.join(DATASET_PATH, 'go', '000.wav'))
audio, sr = tf.audio.decode_wav(wav, desired_channels=1, desired_samples=16000)
print(audio.shape, audio.dtype, sr.numpy(), np.round(audio.numpy()[:3, 0], 4).tolist())
enc = tf.audio.encode_wav(audio, sr)
a2, sr2 = tf.audio.decode_wav(enc)
print(a2.shape, int(sr2), bool(np.all(a2.numpy() == audio.numpy())))


def make_spec_ds(ds):
    return ds.map(
        map_func=lambda audio, label: (get_spectrogram(audio), label),
        num_parallel_calls=tf.data.AUTOTUNE)


train_spectrogram_ds = make_spec_ds(train_ds)
val_spectrogram_ds = make_spec_ds(val_ds)
test_spectrogram_ds = make_spec_ds(test_ds)

for example_spectrograms, example_spect_labels in train_spectrogram_ds.take(1):
    break
print(example_spectrograms.shape)

train_spectrogram_ds = train_spectrogram_ds.cache().shuffle(10000).prefetch(tf.data.AUTOTUNE)
val_spectrogram_ds = val_spectrogram_ds.cache().prefetch(tf.data.AUTOTUNE)
test_spectrogram_ds = test_spectrogram_ds.cache().prefetch(tf.data.AUTOTUNE)

input_shape = example_spectrograms.shape[1:]
print('Input shape:', input_shape)
num_labels = len(label_names)

norm_layer = layers.Normalization()
norm_layer.adapt(data=train_spectrogram_ds.map(map_func=lambda spec, label: spec))

model = models.Sequential([
    layers.Input(shape=input_shape),
    layers.Resizing(32, 32),
    norm_layer,
    layers.Conv2D(8, 3, activation='relu'),
    layers.Conv2D(16, 3, activation='relu'),
    layers.MaxPooling2D(),
    layers.Dropout(0.25),
    layers.Flatten(),
    layers.Dense(32, activation='relu'),
    layers.Dropout(0.5),
    layers.Dense(num_labels),
])
print([tuple(w.shape) for w in model.weights])
model.compile(
    optimizer=tf.keras.optimizers.Adam(),
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=['accuracy'],
)
EPOCHS = 3
history = model.fit(
    train_spectrogram_ds,
    validation_data=val_spectrogram_ds,
    epochs=EPOCHS,
    callbacks=tf.keras.callbacks.EarlyStopping(verbose=1, patience=3),   # (never stops in 3)
    verbose=0,
)
metrics = history.history
print(sorted(metrics), len(metrics['loss']))
res = model.evaluate(test_spectrogram_ds, return_dict=True, verbose=0)
print(sorted(res))
y_pred = model.predict(test_spectrogram_ds, verbose=0)
y_pred = tf.argmax(y_pred, axis=1)
y_true = tf.concat(list(test_spectrogram_ds.map(lambda s, lab: lab)), axis=0)
print(y_pred.shape, y_true.shape)
confusion_mtx = tf.math.confusion_matrix(y_true, y_pred)
print(confusion_mtx.shape, int(tf.reduce_sum(confusion_mtx)))

x = tf.io.read_file(str(os.path.join(DATASET_PATH, 'no', '001.wav')))
x, sample_rate = tf.audio.decode_wav(x, desired_channels=1, desired_samples=16000,)
x = tf.squeeze(x, axis=-1)
waveform = x
x = get_spectrogram(x)
x = x[tf.newaxis, ...]
prediction = model(x)
print(prediction.shape)


class ExportModel(tf.Module):
    def __init__(self, model):
        self.model = model
        # Accept either a string-filename or a batch of waveforms.
        # You could add additional signatures for a single wave, or a ragged-batch.
        self.__call__.get_concrete_function(
            x=tf.TensorSpec(shape=(), dtype=tf.string))
        self.__call__.get_concrete_function(
            x=tf.TensorSpec(shape=[None, 16000], dtype=tf.float32))

    @tf.function
    def __call__(self, x):
        # If they pass a string, load the file and decode it.
        if x.dtype == tf.string:
            x = tf.io.read_file(x)
            x, _ = tf.audio.decode_wav(x, desired_channels=1, desired_samples=16000,)
            x = tf.squeeze(x, axis=-1)
            x = x[tf.newaxis, :]
        x = get_spectrogram(x)
        result = self.model(x, training=False)
        class_ids = tf.argmax(result, axis=-1)
        class_names = tf.gather(label_names, class_ids)
        return {'predictions': result,
                'class_ids': class_ids,
                'class_names': class_names}


export = ExportModel(model)
out = export(tf.constant(str(os.path.join(DATASET_PATH, 'no', '001.wav'))))
print(sorted(out), out['predictions'].shape, out['class_names'].dtype)
export_dir = os.path.join(tempfile.mkdtemp(), 'saved')
tf.saved_model.save(export, export_dir)
imported = tf.saved_model.load(export_dir)
out2 = imported(waveform[tf.newaxis, :])
print(sorted(out2), out2['class_ids'].shape,
      bool(np.allclose(out2['predictions'].numpy(), out['predictions'].numpy(), atol=1e-5)))
