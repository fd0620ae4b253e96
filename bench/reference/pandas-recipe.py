"""The analyst's recipe the scorer is measured against: pandas + scipy, one row a customer.

Daily-merged summaries (a day with a non-negative row is a purchase occasion, the day's rows summed),
BG/NBD and Gamma-Gamma fitted by maximum likelihood on log parameters with scipy's L-BFGS-B and
numerical gradients (no grouping of identical (x, t_x, T)), CLV over 12 monthly steps of 30 days
discounted at 10 % a year, RFM quintiles by rank; the scores written as CSV. It takes the scorer's
input file and prints its phases and fitted parameters to stderr.

    /usr/bin/time -v python3 bench/reference/pandas-recipe.py bench/tmp/transactions-1000000.csv \
        2025-12-31 bench/tmp/pandas-out.csv

Needs python3 with pandas and scipy (Debian: apt install python3-pandas python3-scipy).
"""

import sys
import time

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

path, as_of, out = sys.argv[1], pd.Timestamp(sys.argv[2]), sys.argv[3]
METHOD = 'L-BFGS-B'

t0 = time.perf_counter()
df = pd.read_csv(path, dtype={'customer_id': str, 'amount': 'float64'}, parse_dates=['transaction_date'])
df = df[df.transaction_date <= as_of]
t1 = time.perf_counter()

daily = df.groupby(['customer_id', 'transaction_date'], sort=True)['amount'].agg(['sum', 'max']).reset_index()
daily = daily[daily['max'] >= 0]
by_customer = daily.groupby('customer_id', sort=True)
first = by_customer.transaction_date.min()
last = by_customer.transaction_date.max()
occasions = by_customer.size()
x = (occasions - 1).to_numpy(float)
tx = (last - first).dt.days.to_numpy(float)
T = (as_of - first).dt.days.to_numpy(float)
daily['is_first'] = daily.transaction_date.eq(daily.customer_id.map(first))
repeat_spend = (
    daily[~daily.is_first].groupby('customer_id')['sum'].mean().reindex(occasions.index).fillna(0).to_numpy()
)
total = by_customer['sum'].sum().to_numpy()
recency = (as_of - last).dt.days.to_numpy(float)
t2 = time.perf_counter()


def bgnbd_nll(log_params):
    r, alpha, a, b = np.exp(log_params)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.where(
        x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-12)) - (r + x) * np.log(alpha + tx), -np.inf
    )
    return -(a1 + a2 + np.logaddexp(a3, a4)).sum()


bgnbd = minimize(bgnbd_nll, np.zeros(4), method=METHOD)
r, alpha, a, b = np.exp(bgnbd.x)
repeat = (x > 0) & (repeat_spend > 0)
xr, mr = x[repeat], repeat_spend[repeat]


def gamma_gamma_nll(log_params):
    p, q, v = np.exp(log_params)
    return -(
        gammaln(p * xr + q) - gammaln(p * xr) - gammaln(q) + q * np.log(v) + (p * xr - 1) * np.log(mr)
        + p * xr * np.log(xr) - (p * xr + q) * np.log(xr * mr + v)
    ).sum()


gamma_gamma = minimize(gamma_gamma_nll, np.zeros(3), method=METHOD)
p, q, v = np.exp(gamma_gamma.x)
t3 = time.perf_counter()


def expected_purchases(t):
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    num = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp)
    return num / (1 + (x > 0) * (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x))


p_alive = 1 / (1 + (x > 0) * (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x))
population_spend = v * p / (q - 1)
spend = np.where(
    repeat, (q - 1) / (p * x + q - 1) * population_spend + (p * x) / (p * x + q - 1) * repeat_spend,
    population_spend,
)
monthly_rate = 0.10 / 12
clv = np.zeros(len(x))
previous = 0
for month in range(1, 13):
    cumulative = expected_purchases(30.0 * month)
    clv += (cumulative - previous) * spend / (1 + monthly_rate) ** month
    previous = cumulative
t4 = time.perf_counter()

scores = pd.DataFrame({
    'customer_id': occasions.index, 'x': x, 'tx': tx, 'T': T, 'p_alive': p_alive, 'expected_spend': spend,
    'clv': clv, 'recency': recency, 'frequency': occasions.to_numpy(), 'monetary': total / occasions.to_numpy(),
})
for column, name, ascending in (('recency', 'R', False), ('frequency', 'F', True), ('monetary', 'M', True)):
    rank = scores[column].rank(method='first', ascending=ascending)
    scores[name] = pd.qcut(rank, 5, labels=[1, 2, 3, 4, 5]).astype(int)
scores['rfm'] = scores.R.astype(str) + scores.F.astype(str) + scores.M.astype(str)
scores.to_csv(out, index=False)
t5 = time.perf_counter()

print(
    f'read {t1 - t0:.1f} s, summarise {t2 - t1:.1f} s, fit {t3 - t2:.1f} s '
    f'({bgnbd.nfev}+{gamma_gamma.nfev} evaluations), clv {t4 - t3:.1f} s, rfm and write {t5 - t4:.1f} s, '
    f'total {t5 - t0:.1f} s',
    file=sys.stderr,
)
print(
    f'BG/NBD r={r:.4f} alpha={alpha:.4f} a={a:.4f} b={b:.4f} LL={-bgnbd.fun:.1f}; '
    f'Gamma-Gamma p={p:.4f} q={q:.4f} v={v:.4f} on {int(repeat.sum())} customers',
    file=sys.stderr,
)
