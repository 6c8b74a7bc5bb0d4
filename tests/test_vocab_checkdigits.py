import pytest

from kokai.vocab.checkdigits import (
    houjin_bangou_of_lgcode,
    is_valid_houjin_bangou,
    is_valid_lgcode,
    restore_dropped_zero,
)

# Worked examples from the reference (jp-open-data.md §5.1, §5.2).
LGCODES = ["402079", "052116", "332054", "011002", "092011", "281000", "130001", "221309",
           "172022", "041017", "254258"]


@pytest.mark.parametrize("code", LGCODES)
def test_valid_lgcodes(code):
    assert is_valid_lgcode(code)


@pytest.mark.parametrize("code", [c[:5] + str((int(c[5]) + 1) % 10) for c in LGCODES])
def test_wrong_check_digit_rejected(code):
    assert not is_valid_lgcode(code)


@pytest.mark.parametrize("code", ["", "12345", "1234567", "２８１０００", "28100a"])
def test_malformed_lgcodes(code):
    assert not is_valid_lgcode(code)


def test_dropped_leading_zero():
    assert restore_dropped_zero("92011") == "092011"
    assert restore_dropped_zero("92012") is None
    assert restore_dropped_zero("281000") is None


@pytest.mark.parametrize("number", ["7123456789012", "4011001098993", "6000020212016",
                                    "3000020112020", "8000020130001"])
def test_valid_houjin(number):
    assert is_valid_houjin_bangou(number)
    assert not is_valid_houjin_bangou(str(int(number[0]) % 9 + 1) + number[1:])


def test_houjin_of_lgcode():
    assert houjin_bangou_of_lgcode("212016") == "6000020212016"
    assert houjin_bangou_of_lgcode("130001") == "8000020130001"


def test_column_expressions_agree_with_the_scalar_checks():
    import polars as pl

    from kokai.vocab.checkdigits import houjin_valid_expr, lgcode_valid_expr

    codes = LGCODES + ["092012", "92011", "", "２８１０００", "28100a", "1234567"]
    numbers = ["7123456789012", "4011001098993", "6000020212016", "5000020212016",
               "600002021201", "", "6000020212016_1"]
    frame = pl.DataFrame({"v": codes})
    assert frame.select(lgcode_valid_expr(pl.col("v")).fill_null(False))["v"].to_list() == [
        is_valid_lgcode(c) for c in codes
    ]
    frame = pl.DataFrame({"v": numbers})
    assert frame.select(houjin_valid_expr(pl.col("v")).fill_null(False))["v"].to_list() == [
        is_valid_houjin_bangou(n) for n in numbers
    ]
