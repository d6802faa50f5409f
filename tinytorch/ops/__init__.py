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
F.pad reflect/replicate/circular   IndexPad                    padding.py      y[j] = x[src(j)];  dx[src(j)] += g[j]
F.batch_norm (training), BatchNorm BatchNorm                   norm.py         y = x_hat w + b over (N, *);  dx = (d - mean d - x_hat mean(d x_hat)) rstd
F.group_norm, F.instance_norm      Standardize                 norm.py         y = (x - mean) rstd over axes;  dx as batch norm's, d = g
expm1, log1p, log2, log10, exp2    Expm1, Log1p, Log2, ...     elementwise.py  da = g e^a, g / (1 + a), g / (a ln 2), ...
rsqrt, reciprocal                  Rsqrt, Reciprocal           elementwise.py  da = -g out^3 / 2, -g out^2
tan, sinh, cosh, asin, acos, atan  Tan, Sinh, Cosh, Asin, ...  elementwise.py  da = g (1 + out^2), g cosh a, g sinh a, ...
asinh, acosh, atanh, sinc, frac    Asinh, Acosh, Atanh, Sinc,  elementwise.py  da = g / sqrt(a^2 + 1), ...; frac: da = g
floor, ceil, trunc, sign, round    Floor, Ceil, Trunc, Sign,   elementwise.py  step functions: da = 0
                                   Round
atan2, hypot, copysign, xlogy      Atan2, Hypot, Copysign,     elementwise.py  da = g b / r^2, g a / out, ..., g ln b
                                   Xlogy
fmod, remainder                    Fmod, Remainder             elementwise.py  da = g, db = -g trunc(a/b) (floor(a/b))
floor_divide, div(rounding_mode)   FloorDivide                 elementwise.py  da = db = 0
fmax, fmin, logaddexp, lerp        Fmax, Fmin, Logaddexp,      elementwise.py  g to the chosen input; g e^(a - out); g (1 - w), g w
                                   Lerp
nan_to_num, heaviside              NanToNum, Heaviside         elementwise.py  da = g where a was finite; heaviside: none
erf, erfc, erfinv, lgamma,         Erf, Erfc, Erfinv, Lgamma,  special.py      da = g 2/sqrt(pi) e^(-a^2), ..., g psi(a), g psi'(a)
digamma                            Digamma
cumprod                            Cumprod                     reduce.py       da_i = sum_{j>=i} g_j prod_{k<=j, k!=i} a_k
cummax, cummin                     CumExtreme                  reduce.py       da = g scattered to the running arg-max
norm, dist, cdist, linalg.*_norm   VectorNorm                  reduce.py       da = g |a|^(p-1) sign(a) / out^(p-1)
einsum, tensordot, inner           Einsum                      linalg.py       d op_i = einsum of g with the other operands
linalg.inv, inverse                Inv                         linalg.py       dA = -out^T g out^T
linalg.det, slogdet, logdet        Det, Slogdet                linalg.py       dA = g det A^-T;  g_logabsdet A^-T
linalg.solve                       Solve                       linalg.py       dB = A^-T g, dA = -dB X^T
linalg.cholesky                    Cholesky                    linalg.py       dA = sym(L^-T Phi(L^T g) L^-1)
linalg.eigh, eigvalsh              Eigh                        linalg.py       dA = V (diag(gw) + F * V^T gV) V^T
linalg.qr                          Qr                          linalg.py       dA = (gQ + Q copyltu(M)) R^-T
linalg.svd, svdvals, pinv          Svd                         linalg.py       dA = U diag(gS) Vh + the U, Vh terms
=================================  ==========================  ==============  =================================================
"""
