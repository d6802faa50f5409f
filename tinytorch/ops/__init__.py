# ruff: noqa: E501  (the index table reads better unwrapped)
"""The differentiable Functions, by family; each has forward and backward side by side.

Index: public op -> Function -> file -> the math (``g`` is the incoming gradient). The
Tensor methods and ``tinytorch.*`` functions call these; ``tinytorch.testing.op_db`` holds
each op's specification row (and its NumPy or composite reference).

=================================  ==========================  ==============  =================================================
op                                 Function                    file            math
=================================  ==========================  ==============  =================================================
``+``, add, sub, ``-``             Add, Sub                    elementwise.py  out = a +- b;  da = g, db = +-g
``*``, mul                         Mul                         elementwise.py  out = a b;  da = g b, db = g a
``/``, div                         Div                         elementwise.py  out = a / b;  da = g / b, db = -g a / b^2
``**``, pow, square, rsqrt, sqrt   Pow, Sqrt                   elementwise.py  out = a^b;  da = g b a^(b-1), db = g out ln a
neg, abs, sign                     Neg, Abs                    elementwise.py  out = -a, |a|;  da = -g, g sign(a)
exp, log                           Exp, Log                    elementwise.py  out = e^a, ln a;  da = g out, g / a
sin, cos, tanh, sigmoid, relu      Sin, Cos, Tanh, Sigmoid,    elementwise.py  da = g cos a, -g sin a, g (1 - out^2),
                                   Relu                                        g out (1 - out), g [a > 0]
clamp, clip                        Clamp                       elementwise.py  out = min(max(a, lo), hi);  da = g [lo <= a <= hi]
maximum, minimum                   Maximum, Minimum            elementwise.py  g to the larger (smaller) input, split on ties
where                              Where                       elementwise.py  out = c ? a : b;  da = g [c], db = g [not c]
to, double, type_as (casts)        Cast                        elementwise.py  da = g cast back
sum, mean                          Sum, Mean                   reduce.py       da = g (or g / n) broadcast over reduced axes
var, std                           Var, Std                    reduce.py       da = g 2 (a - mean) / (n - c);  std: / (2 out)
max(dim), min(dim)                 MaxMin                      reduce.py       (values, indices);  da = g at the arg-max
max(), amax, amin                  Amax                        reduce.py       da = g shared evenly among tied extremes
logsumexp                          LogSumExp                   reduce.py       out = log sum e^a;  da = g softmax(a)
softmax, F.softmax                 Softmax                     reduce.py       y = e^a / sum e^a;  da = y (g - sum g y)
log_softmax, F.log_softmax         LogSoftmax                  reduce.py       y = a - logsumexp a;  da = g - softmax(a) sum g
prod                               Prod                        reduce.py       da_i = g prod_{j != i} a_j (exact at zeros)
cumsum                             Cumsum                      reduce.py       da_j = sum_{i >= j} g_i
view, reshape, flatten, unflatten  Reshape                     shape.py        da = g reshaped back
permute, transpose, T, mT, t       Permute                     shape.py        da = g with the inverse permutation
expand, broadcast_to, expand_as    Expand                      shape.py        da = g summed over the broadcast axes
contiguous                         Contiguous                  shape.py        da = g
cat, concat, repeat                Cat                         shape.py        da_i = the slice of g from a_i
stack                              Stack                       shape.py        da_i = g[..., i, ...]
``[]``, select, narrow, split,     Index                       shape.py        da = zeros + g at the indexed positions
chunk, unbind, gather, sort, topk                                              (repeated indices accumulate)
masked_fill                        MaskedFill                  shape.py        da = g where the mask is False
tril, triu                         Triangle                    shape.py        da = the same triangle of g
``@``, matmul, outer (via ``*``)   MatMul                      linalg.py       da = g b^T, db = a^T g
F.linear, nn.Linear                Linear                      nn.py           y = x W^T + b;  dx = g W, dW = g^T x, db = sum g
F.cross_entropy                    CrossEntropy                nn.py           -(1-e) log p_t - e/C sum_c log p_c, p = softmax
F.nll_loss                         NLLLoss                     nn.py           loss_i = -x[i, t_i];  dx[i, t_i] = -1
F.layer_norm, nn.LayerNorm         LayerNorm                   nn.py           y = (x - mean) / sqrt(var + eps) w + b
F.gelu, nn.GELU                    Gelu                        nn.py           y = x Phi(x);  dy = Phi(x) + x phi(x)
F.embedding, nn.Embedding          Embedding                   nn.py           y = W[i];  dW[i] = sum of g over rows using i
F.dropout, nn.Dropout              Dropout                     nn.py           y = x m / (1 - p);  dx = g m / (1 - p)
F.scaled_dot_product_attention     ScaledDotProductAttention   nn.py           P = softmax(s q k^T + M), y = P v
F.pad                              ConstantPad                 nn.py           y = x padded (or cropped);  dx = g cropped back
=================================  ==========================  ==============  =================================================
"""
