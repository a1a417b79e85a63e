namespace EdgeLstm.Data.Sequences;

/// <summary>
/// The memory a reader may use for the data it keeps, checked before anything is allocated: a file that would need more
/// is refused with the size it would need. Every size is a checked 64-bit product, so a hostile count cannot wrap.
/// </summary>
public static class MemoryBudget
{
    /// <summary>The default bound: 2 GiB, well above any data set an edge board trains on and below a 32-bit array's reach.</summary>
    public const long DefaultMaxBytes = 2L << 30;

    /// <summary>The product of <paramref name="factors"/>, or <see cref="long.MaxValue"/> when it does not fit in 64 bits.</summary>
    public static long Product(params ReadOnlySpan<long> factors)
    {
        long product = 1;
        foreach (long factor in factors)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(factor);
            if (factor == 0)
            {
                return 0;
            }
        }

        foreach (long factor in factors)
        {
            if (product > long.MaxValue / factor)
            {
                return long.MaxValue;
            }

            product *= factor;
        }

        return product;
    }

    /// <summary>Adds sizes, saturating at <see cref="long.MaxValue"/>.</summary>
    public static long Sum(params ReadOnlySpan<long> sizes)
    {
        long sum = 0;
        foreach (long size in sizes)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(size);
            sum = size > long.MaxValue - sum ? long.MaxValue : sum + size;
        }

        return sum;
    }

    /// <summary>
    /// Refuses <paramref name="needed"/> bytes (what <paramref name="what"/> takes) above <paramref name="maxBytes"/>,
    /// and any array longer than .NET allows, with a message naming the file and the size.
    /// </summary>
    public static void Check(string source, string what, long needed, long maxBytes)
    {
        if (needed > maxBytes)
        {
            string size = needed == long.MaxValue ? "more than 2^63 bytes" : $"{needed:N0} bytes";
            throw new DataFormatException(source, "size", $"{what} would need {size}, more than the {maxBytes:N0}-byte limit");
        }
    }

    /// <summary>Checks that <paramref name="count"/> elements fit in one .NET array.</summary>
    public static int ArrayLength(string source, string what, long count)
    {
        if (count > Array.MaxLength)
        {
            throw new DataFormatException(source, "size", $"{what} would need {count:N0} elements in one array, more than the {Array.MaxLength:N0} .NET allows");
        }

        return (int)count;
    }
}
