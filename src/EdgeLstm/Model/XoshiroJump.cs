using System.Numerics;

namespace EdgeLstm.Model;

/// <summary>
/// Jumps a xoshiro256** state ahead by any number of steps at once, so several lanes can draw far-apart stretches of
/// one sequence side by side (<see cref="SeededRandom"/>'s bulk draws) and still give, draw for draw, the numbers one
/// generator drawing in turn would.
/// </summary>
/// <remarks>
/// The state update is a linear map T on 256 bits over GF(2). With P its characteristic polynomial (Cayley–Hamilton:
/// P(T) = 0) and x^d ≡ Σ c_k·x^k (mod P), the state d steps on is T^d·s = Σ c_k·T^k·s: the XOR of the states at the
/// steps k whose c_k is 1, found by stepping 256 times. P is recovered once from 512 bits of one state bit's sequence
/// by Berlekamp–Massey (the map's period is 2^256 − 1, so P is primitive and is that sequence's minimal polynomial).
/// A polynomial of degree below 256 is four words, bit k the coefficient of x^k.
/// </remarks>
internal static class XoshiroJump
{
    /// <summary>The low 256 coefficients of P (its x^256 coefficient is 1).</summary>
    private static readonly ulong[] Characteristic = FindCharacteristic();

    /// <summary>x^<paramref name="distance"/> mod P, the polynomial <see cref="Apply"/> takes to jump that far.</summary>
    public static void Polynomial(ulong distance, Span<ulong> result)
    {
        Span<ulong> r = stackalloc ulong[4];
        r.Clear();
        r[0] = 1;
        Span<ulong> square = stackalloc ulong[4];
        int top = distance == 0 ? -1 : 63 - BitOperations.LeadingZeroCount(distance);
        for (int bit = top; bit >= 0; bit--)
        {
            MultiplyModulo(r, r, square);
            square.CopyTo(r);
            if (((distance >> bit) & 1) != 0)
            {
                TimesX(r);
            }
        }

        r.CopyTo(result);
    }

    /// <summary>Moves the state (s0…s3) on by the distance whose <see cref="Polynomial"/> is <paramref name="polynomial"/>.</summary>
    public static void Apply(ReadOnlySpan<ulong> polynomial, ref ulong s0, ref ulong s1, ref ulong s2, ref ulong s3)
    {
        ulong a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        ulong t0 = s0, t1 = s1, t2 = s2, t3 = s3;
        for (int k = 0; k < 256; k++)
        {
            if (((polynomial[k >> 6] >> (k & 63)) & 1) != 0)
            {
                a0 ^= t0;
                a1 ^= t1;
                a2 ^= t2;
                a3 ^= t3;
            }

            SeededRandom.Step(ref t0, ref t1, ref t2, ref t3);
        }

        (s0, s1, s2, s3) = (a0, a1, a2, a3);
    }

    /// <summary>result = a·b mod P (Horner over a's bits, highest first).</summary>
    private static void MultiplyModulo(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> result)
    {
        ulong r0 = 0, r1 = 0, r2 = 0, r3 = 0;
        for (int k = 255; k >= 0; k--)
        {
            ulong carry = r3 >> 63;
            r3 = (r3 << 1) | (r2 >> 63);
            r2 = (r2 << 1) | (r1 >> 63);
            r1 = (r1 << 1) | (r0 >> 63);
            r0 <<= 1;
            ulong reduce = 0 - carry;
            r0 ^= Characteristic[0] & reduce;
            r1 ^= Characteristic[1] & reduce;
            r2 ^= Characteristic[2] & reduce;
            r3 ^= Characteristic[3] & reduce;
            ulong add = 0 - ((a[k >> 6] >> (k & 63)) & 1);
            r0 ^= b[0] & add;
            r1 ^= b[1] & add;
            r2 ^= b[2] & add;
            r3 ^= b[3] & add;
        }

        result[0] = r0;
        result[1] = r1;
        result[2] = r2;
        result[3] = r3;
    }

    /// <summary>r = r·x mod P.</summary>
    private static void TimesX(Span<ulong> r)
    {
        ulong reduce = 0 - (r[3] >> 63);
        r[3] = (r[3] << 1) | (r[2] >> 63);
        r[2] = (r[2] << 1) | (r[1] >> 63);
        r[1] = (r[1] << 1) | (r[0] >> 63);
        r[0] <<= 1;
        for (int i = 0; i < 4; i++)
        {
            r[i] ^= Characteristic[i] & reduce;
        }
    }

    /// <summary>
    /// Berlekamp–Massey over GF(2) on the lowest bit of s0 for 512 steps from a fixed non-zero state: the connection
    /// polynomial C(x) = 1 + c_1·x + … + c_256·x^256 of the shortest recurrence; P is its reverse, x^256·C(1/x).
    /// </summary>
    private static ulong[] FindCharacteristic()
    {
        const int Length = 512;
        var bits = new byte[Length];
        ulong s0 = 0x0123456789ABCDEFUL, s1 = 0xFEDCBA9876543210UL, s2 = 0x0F1E2D3C4B5A6978UL, s3 = 0x8796A5B4C3D2E1F0UL;
        for (int i = 0; i < Length; i++)
        {
            bits[i] = (byte)(s0 & 1);
            SeededRandom.Step(ref s0, ref s1, ref s2, ref s3);
        }

        var c = new byte[Length + 1];
        var b = new byte[Length + 1];
        c[0] = b[0] = 1;
        int degree = 0, m = -1;
        for (int n = 0; n < Length; n++)
        {
            int discrepancy = bits[n];
            for (int i = 1; i <= degree; i++)
            {
                discrepancy ^= c[i] & bits[n - i];
            }

            if (discrepancy == 0)
            {
                continue;
            }

            var previous = (byte[])c.Clone();
            int shift = n - m;
            for (int i = 0; i + shift <= Length; i++)
            {
                c[i + shift] ^= b[i];
            }

            if (2 * degree <= n)
            {
                degree = n + 1 - degree;
                m = n;
                b = previous;
            }
        }

        if (degree != 256)
        {
            throw new InvalidOperationException($"xoshiro256's characteristic polynomial came out of degree {degree}, not 256.");
        }

        // P(x) = x^256·C(1/x): the coefficient of x^k in P is c_{256−k}; x^256's is c_0 = 1 and is implicit.
        var p = new ulong[4];
        for (int k = 0; k < 256; k++)
        {
            if (c[256 - k] != 0)
            {
                p[k >> 6] |= 1UL << (k & 63);
            }
        }

        return p;
    }
}
