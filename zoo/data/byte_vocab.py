"""The byte tokenizer's id layout (kept free of TensorFlow so `zoo list/show` stay fast)."""
BYTE_VOCAB = 256
SPECIAL_TOKENS = ("<|endoftext|>", "<pad>", "<mask>", "<cls>", "<sep>", "<unk>")
NUM_SENTINELS = 26  # T5 span-corruption sentinels <extra_id_0> .. <extra_id_25>
VOCABULARY_SIZE = BYTE_VOCAB + len(SPECIAL_TOKENS) + NUM_SENTINELS
