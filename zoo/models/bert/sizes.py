"""Registered BERT sizes. bert-tiny/mini/small/base keep the compact BERT shapes of Turc et al.
(2019, "Well-Read Students Learn Better"); MLP = 4 x width, 512 positions.

The CPU sizes (nano, micro) pretrain with MLM + NSP in minutes on 2 cores.
"""
from zoo.models.bert.builder import bert_flops, bert_params, build_bert
from zoo.registry import ModelSpec, register


def _bert(name, layers, width, heads, context, recipe=None, description="", dropout=0.0):
    register(
        ModelSpec(
            name=name,
            family="bert",
            task="masked_lm",
            config=dict(num_layers=layers, num_heads=heads, hidden_dim=width,
                        intermediate_dim=4 * width, dropout=dropout),
            max_sequence_length=context,
            build=build_bert,
            count_params=bert_params,
            default_recipe=recipe,
            description=description,
            flops=bert_flops,
        )
    )


_bert("bert-nano", 4, 128, 4, 128, "bert-nano", "CPU default encoder: MLM+NSP in ~3 minutes")
_bert("bert-micro", 4, 256, 4, 256, "bert-micro", "CPU size encoder, ~3M params")
_bert("bert-tiny", 2, 128, 2, 512, None, "compact BERT (Turc et al.) L=2 H=128", 0.1)
_bert("bert-mini", 4, 256, 4, 512, None, "compact BERT (Turc et al.) L=4 H=256", 0.1)
_bert("bert-small", 4, 512, 8, 512, None, "compact BERT (Turc et al.) L=4 H=512", 0.1)
_bert("bert-base", 12, 768, 12, 512, None, "BERT-base shape (110M with BERT's WordPiece vocabulary)", 0.1)
