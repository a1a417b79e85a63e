namespace EdgeLstm.Data;

/// <summary>The CRC-32 of gzip (and zip, PNG): polynomial 0xEDB88320 reflected, initial and final XOR 0xFFFFFFFF.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = CreateTable();

    /// <summary>The register before any byte (the CRC of nothing is <c>Finish(Start)</c> = 0).</summary>
    public const uint Start = 0xFFFFFFFF;

    /// <summary>The register after <paramref name="data"/>.</summary>
    public static uint Update(uint register, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            register = Table[(register ^ b) & 0xFF] ^ (register >> 8);
        }

        return register;
    }

    /// <summary>The CRC value of a finished register.</summary>
    public static uint Finish(uint register) => ~register;

    private static uint[] CreateTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        return table;
    }
}
