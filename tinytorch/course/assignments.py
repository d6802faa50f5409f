"""The eight assignments of the course and which tests grade each one.

A test belongs to an assignment when it carries the mark ``assignmentN`` itself, or else
when its node id (``tests/test_x.py::test_name[param]``) matches one of ``GRADED_TESTS``'s
patterns: ``*`` matches any run of characters and everything else matches itself (so the
brackets of a parameter id need no escaping). The first matching rule wins.

Tests not listed are not graded: they still run, and in a student edition they are skipped
when they reach code the student has not written yet. A graded test of assignment N must
need assignment N's code and no later assignment's; ``tests/test_course_roundtrip.py``
checks exactly that, and that the tests reach every region marked for N.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Assignment:
    """One assignment: its number, title and course page."""

    number: int
    title: str
    page: str


ASSIGNMENTS: dict[int, Assignment] = {a.number: a for a in (
    Assignment(1, "tensors and broadcasting", "docs/course/01-tensors.md"),
    Assignment(2, "the autograd engine", "docs/course/02-autograd.md"),
    Assignment(3, "elementwise, reduction and matmul backward", "docs/course/03-backward.md"),
    Assignment(4, "softmax, cross-entropy, LayerNorm and Embedding", "docs/course/04-nn.md"),
    Assignment(5, "attention and multi-head attention", "docs/course/05-attention.md"),
    Assignment(6, "Adam, AdamW and the learning-rate schedule", "docs/course/06-optim.md"),
    Assignment(7, "the GPT block and generation", "docs/course/07-gpt.md"),
    Assignment(8, "the encoder-decoder and beam search", "docs/course/08-transformer.md"),
)}

# rows of tests/test_tensor.py's promotion table that need ``result_type`` (a * in an id
# matches any text, including the * itself)
PROMOTING = (
    "lib.tensor([1, 2]) + 2.5",
    "lib.tensor([1, 2]) * 2",
    "lib.tensor([1.0, 2.0]) + lib.tensor([1.0, 2.0], dtype=lib.float64)",
    "lib.tensor([1.0, 2.0]) + lib.tensor(1.0, dtype=lib.float64)",
    "lib.tensor([1, 2]) + lib.tensor(1.5, dtype=lib.float64)",
    "lib.tensor([1, 2]) + lib.tensor([True, False])",
    "lib.tensor([True]) + 1",
    "lib.tensor([1.5]) * True",
    "lib.tensor([1, 2], dtype=lib.int32) + lib.tensor([1, 2])",
    "lib.tensor([1, 2], dtype=lib.int32) + 1",
    "lib.tensor([1.0], dtype=lib.float64) / 2",
    "lib.cat([lib.tensor([1]), lib.tensor([2.0])])",
    "lib.arange(0, 1, 0.25)",
    "lib.full((2,), True)",
)

OPS = "tests/test_ops.py::"
FUNCTIONAL = "tests/test_nn_functional.py::"
LAYERS = "tests/test_nn_layers.py::"

# (assignment, node-id pattern); first match wins
GRADED_TESTS: list[tuple[int, str]] = [
    # 1: dtype promotion and shapes, forward only (there is no engine yet)
    *[(1, f"tests/test_tensor.py::{test}[{expression}]")
      for test in ("test_dtype_promotion", "test_dtype_promotion_matches_torch")
      for expression in PROMOTING],
    (1, OPS + "test_reshape_roundtrip_and_view_shares_memory"),
    (1, OPS + "test_matmul_matches_sum_of_products"),
    # 2: the engine, through ops whose backward is given (add, sub, mul, exp, sin, cos, sum)
    (2, "tests/test_autograd.py::test_long_chain_backpropagates_without_recursion"),
    (2, "tests/test_autograd.py::test_shared_node_counts_every_path"),
    (2, "tests/test_autograd.py::test_diamond_graph_waits_for_all_consumers"),
    (2, "tests/test_autograd.py::test_gradients_accumulate_across_backward_calls"),
    (2, "tests/test_autograd.py::test_leaf_grad_is_not_aliased_with_the_seed"),
    (2, "tests/test_autograd.py::test_retain_graph_allows_a_second_backward"),
    (2, "tests/test_autograd.py::test_non_scalar_backward_with_gradient"),
    (2, "tests/test_autograd.py::test_autograd_grad_returns_without_accumulating"),
    (2, OPS + "test_broadcast_gradient_sums_to_input_shape"),
    (2, OPS + "test_gradcheck[add]"),
    (2, OPS + "test_gradcheck[sub]"),
    # 3: backward of div, log, mean, max/min along a dim, matmul
    *[(3, OPS + f"{test}[{op}]")
      for test in ("test_gradcheck", "test_matches_torch")
      for op in ("div", "rdiv_scalar", "log", "mean_all", "mean_dim", "mean_dims",
                 "max_dim", "min_dim", "matmul", "matmul_fn")],
    (3, OPS + "test_sum_gradient_is_ones_and_mean_is_one_over_n"),
    # 4: softmax, log_softmax, cross-entropy, layer norm, embedding
    *[(4, OPS + f"test_gradcheck[{op}]") for op in ("softmax", "log_softmax", "softmax_fn")],
    (4, OPS + "test_softmax_gradients_sum_to_zero"),
    *[(4, FUNCTIONAL + f"{test}*{spec}*")
      for test in ("test_gradcheck_float64[", "test_matches_torch[")
      for spec in ("-softmax]", "log_softmax_dim0]", "layer_norm", "cross_entropy",
                   "embedding]")],
    (4, FUNCTIONAL + "test_gradcheck_float64[softmax]"),
    (4, FUNCTIONAL + "test_cross_entropy_huge_logits_are_finite"),
    (4, FUNCTIONAL + "test_cross_entropy_gradient_rows_sum_to_zero"),
    (4, FUNCTIONAL + "test_layer_norm_normalises_any_scale"),
    (4, FUNCTIONAL + "test_embedding_backward_paths_match_torch[*"),
    (4, LAYERS + "test_layer_gradcheck[layer_norm*"),
    (4, LAYERS + "test_layer_gradcheck[softmax]"),
    (4, LAYERS + "test_layer_gradcheck[log_softmax]"),
    (4, LAYERS + "test_embedding_matches_torch_with_padding"),
    # 5: scaled dot-product attention and multi-head attention
    (5, FUNCTIONAL + "test_gradcheck_float64[sdpa*"),
    (5, FUNCTIONAL + "test_matches_torch[*-sdpa*"),
    (5, FUNCTIONAL + "test_sdpa_fully_masked_row_returns_zeros_without_nan"),
    (5, FUNCTIONAL + "test_sdpa_float_minus_inf_mask_row_is_zero"),
    (5, FUNCTIONAL + "test_sdpa_rows_match_torch_when_not_fully_masked"),
    (5, FUNCTIONAL + "test_sdpa_dropout_uses_the_global_generator"),
    (5, FUNCTIONAL + "test_sdpa_dropout_gradcheck_with_fixed_mask"),
    (5, LAYERS + "test_mha_cross_attention_matches_torch[*"),
    (5, LAYERS + "test_mha_self_attention_masks_match_torch"),
    (5, LAYERS + "test_mha_float_and_3d_masks_match_torch"),
    (5, LAYERS + "test_mha_unbatched_and_no_bias_match_torch"),
    (5, LAYERS + "test_mha_gradcheck_float64"),
    (5, LAYERS + "test_mha_fully_masked_query_gives_zeros_not_nan"),
    (5, "tests/test_transformer.py::test_masked_keys_get_no_attention_weight"),
    # 6: Adam/AdamW, the cosine schedule and the Transformer's warm-up rule
    (6, "tests/test_optim.py::test_matches_pytorch_over_20_steps[Adam*"),
    (6, "tests/test_optim.py::test_float32_matches_pytorch[Adam*"),
    (6, "tests/test_optim.py::test_adam_first_step_moves_each_weight_by_lr"),
    (6, "tests/test_optim.py::test_adamw_decay_is_decoupled_from_the_gradient"),
    (6, "tests/test_lr_scheduler.py::test_matches_pytorch_over_20_steps[CosineAnnealingLR*"),
    (6, "tests/test_lr_scheduler.py::test_matches_pytorch_over_20_steps[SequentialLR]"),
    (6, "tests/test_lr_scheduler.py::test_adamw_with_warmup_then_cosine_matches_pytorch"),
    (6, "tests/test_lr_scheduler.py::test_closed_forms_hold_without_torch"),
    (6, "tests/test_lr_scheduler.py::test_noam_lambda_is_the_papers_rule"),
    (6, "tests/test_lr_scheduler.py::test_noam_with_lambda_lr_sets_the_learning_rate"),
    # 7: the GPT: attention with a cache, the block, sampling
    *[(7, "tests/test_gpt.py::" + test) for test in (
        "test_from_tinytorch_import_gpt_course_example",
        "test_loss_is_cross_entropy_ignoring_minus_one",
        "test_whole_model_gradcheck_every_parameter",
        "test_changing_a_future_token_never_changes_earlier_logits",
        "test_a_batch_equals_its_rows_one_by_one",
        "test_cached_and_uncached_next_logits_agree_past_block_size",
        "test_cache_takes_several_new_positions_at_once",
        "test_generate_with_and_without_cache_samples_the_same_tokens[*",
        "test_top_k_one_is_greedy_and_top_p_keeps_the_likeliest",
        "test_top_k_samples_only_among_the_k_likeliest",
        "test_weight_tying_is_one_parameter_with_summed_gradient",
        "test_cross_entropy_of_untrained_model_is_near_log_vocab")],
    # 8: the encoder-decoder, greedy decoding and beam search
    *[(8, "tests/test_transformer.py::" + test) for test in (
        "test_forward_shape_and_clear_errors",
        "test_padded_source_tokens_never_change_real_outputs",
        "test_a_batch_equals_its_rows_one_by_one",
        "test_greedy_decode_pads_after_eos_and_beam_one_equals_greedy",
        "test_greedy_decode_picks_the_argmax_at_every_step",
        "test_beam_search_scores_at_least_greedy_on_a_random_model",
        "test_sequence_log_prob_counts_tokens_up_to_eos",
        "test_matches_pytorch_nn_transformer_forward_and_backward")],
]


def graded_assignment(nodeid: str, rules=None) -> int | None:
    """The assignment whose rule first matches ``nodeid``, or None when none does."""
    for number, pattern in GRADED_TESTS if rules is None else rules:
        if _compile(pattern).fullmatch(nodeid):
            return number
    return None


@lru_cache(maxsize=None)
def _compile(pattern: str) -> re.Pattern:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))
