using System.Buffers.Binary;

namespace EdgeLstm.Data;

/// <summary>
/// A strict streaming gzip decoder (RFC 1952 framing around RFC 1951 deflate): every member's header is checked, its
/// CRC-32 and ISIZE trailer are verified as soon as the member ends, a member cut short anywhere is an error, and bytes
/// after the last member that do not start another are refused. Any fault is a <see cref="DataFormatException"/> naming
/// the file.
/// </summary>
/// <remarks>
/// .NET's <c>GZipStream</c> checks a trailer only when it is there: it returns a truncated member's bytes without
/// complaint and ignores trailing garbage, so a damaged file could pass unnoticed. Memory is fixed (a 32 KiB window, a
/// 64 KiB input buffer and three 64 KiB decoding tables): what the output costs is the reader's business.
/// </remarks>
internal sealed class GzipReader : Stream
{
    private const int WindowSize = 1 << 15;
    private const int TableBits = 15;

    private static readonly int[] LengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
    private static readonly int[] LengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
    private static readonly int[] DistanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
    private static readonly int[] DistanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
    private static readonly int[] CodeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

    private readonly Stream _input;
    private readonly string _source;
    private readonly byte[] _inputBuffer = new byte[1 << 16];
    private readonly byte[] _window = new byte[WindowSize];
    private readonly ushort[] _literals = new ushort[1 << TableBits];
    private readonly ushort[] _distances = new ushort[1 << TableBits];
    private readonly ushort[] _codeLengths = new ushort[1 << TableBits];
    private int _inputPosition;
    private int _inputLength;
    private bool _inputEnded;
    private ulong _bits;
    private int _bitCount;
    private long _compressedOffset;

    private State _state = State.MemberHeader;
    private int _members;
    private bool _finalBlock;
    private int _storedRemaining;
    private int _matchLength;
    private int _matchDistance;
    private int _windowPosition;
    private long _memberOutput;
    private uint _crc;

    /// <summary>Decodes <paramref name="input"/> (positioned at the first member); <paramref name="source"/> names it in errors.</summary>
    public GzipReader(Stream input, string source)
    {
        _input = input;
        _source = source;
    }

    private enum State
    {
        MemberHeader,
        BlockHeader,
        Stored,
        Huffman,
        End,
    }

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        // The CRC runs over the bytes produced, in bulk: from crcFrom to where the call (or the member) ends.
        int produced = 0, crcFrom = 0;
        while (produced < buffer.Length)
        {
            if (_matchLength > 0)
            {
                CopyMatch(buffer, ref produced);
                continue;
            }

            switch (_state)
            {
                case State.MemberHeader:
                    if (_members > 0 && AtEnd())
                    {
                        _state = State.End;
                        break;
                    }

                    ReadMemberHeader();
                    crcFrom = produced;
                    break;
                case State.BlockHeader:
                    if (_finalBlock)
                    {
                        _crc = Crc32.Update(_crc, buffer[crcFrom..produced]);
                        crcFrom = produced;
                        ReadMemberTrailer();
                        break;
                    }

                    ReadBlockHeader();
                    break;
                case State.Stored:
                    while (_storedRemaining > 0 && produced < buffer.Length)
                    {
                        Emit(buffer, ref produced, (byte)Bits(8, "stored block"));
                        _storedRemaining--;
                    }

                    if (_storedRemaining == 0)
                    {
                        _state = State.BlockHeader;
                    }

                    break;
                case State.Huffman:
                    DecodeSymbol(buffer, ref produced);
                    break;
                default:
                    _crc = Crc32.Update(_crc, buffer[crcFrom..produced]);
                    return produced;
            }
        }

        _crc = Crc32.Update(_crc, buffer[crcFrom..produced]);
        return produced;
    }

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private DataFormatException Fail(string field, string problem) => new(_source, $"gzip member {_members}: {field}", $"{problem} (compressed byte {_compressedOffset - (_bitCount >> 3)})");

    private void Emit(Span<byte> buffer, ref int produced, byte value)
    {
        buffer[produced++] = value;
        _window[_windowPosition] = value;
        _windowPosition = (_windowPosition + 1) & (WindowSize - 1);
        _memberOutput++;
    }

    /// <summary>Copies as much of the pending match as fits, through the window (a match may overlap itself).</summary>
    private void CopyMatch(Span<byte> buffer, ref int produced)
    {
        int count = Math.Min(_matchLength, buffer.Length - produced);
        int position = _windowPosition, distance = _matchDistance;
        byte[] window = _window;
        var output = buffer.Slice(produced, count);
        for (int i = 0; i < output.Length; i++)
        {
            byte value = window[(position - distance) & (WindowSize - 1)];
            window[position] = value;
            position = (position + 1) & (WindowSize - 1);
            output[i] = value;
        }

        produced += count;
        _windowPosition = position;
        _matchLength -= count;
        _memberOutput += count;
    }

    private void ReadMemberHeader()
    {
        _members++;
        if (Bits(8, "header") != 0x1f || Bits(8, "header") != 0x8b)
        {
            throw _members == 1
                ? Fail("header", "expected the gzip magic bytes 1f 8b, found others")
                : Fail("header", "expected another gzip member or the end of the file, found other bytes (trailing garbage)");
        }

        int method = Bits(8, "header");
        int flags = Bits(8, "header");
        if (method != 8)
        {
            throw Fail("compression method", $"expected 8 (deflate), found {method}");
        }

        if ((flags & 0xE0) != 0)
        {
            throw Fail("flags", $"expected the reserved bits clear, found 0x{flags:X2}");
        }

        for (int i = 0; i < 6; i++)
        {
            Bits(8, "header"); // modification time, extra flags, operating system: informative only
        }

        if ((flags & 4) != 0)
        {
            int extra = Bits(8, "extra field") | (Bits(8, "extra field") << 8);
            for (int i = 0; i < extra; i++)
            {
                Bits(8, "extra field");
            }
        }

        foreach (int flag in (ReadOnlySpan<int>)[8, 16])
        {
            if ((flags & flag) != 0)
            {
                // The file name or comment, zero-terminated; skipped, so it costs nothing however long it is.
                while (Bits(8, flag == 8 ? "file name" : "comment") != 0)
                {
                }
            }
        }

        if ((flags & 2) != 0)
        {
            Bits(16, "header CRC");
        }

        _crc = Crc32.Start;
        _memberOutput = 0;
        _finalBlock = false;
        _state = State.BlockHeader;
    }

    private void ReadMemberTrailer()
    {
        _bits >>= _bitCount & 7;
        _bitCount -= _bitCount & 7;
        uint crc = (uint)(Bits(16, "trailer (CRC-32)") | (Bits(16, "trailer (CRC-32)") << 16));
        uint size = (uint)(Bits(16, "trailer (ISIZE)") | (Bits(16, "trailer (ISIZE)") << 16));
        if (crc != Crc32.Finish(_crc))
        {
            throw Fail("CRC-32", $"expected 0x{crc:x8} (the trailer), found 0x{Crc32.Finish(_crc):x8} for the decompressed bytes: the data is damaged");
        }

        if (size != (uint)_memberOutput)
        {
            throw Fail("ISIZE", $"expected {size} bytes (the trailer, modulo 2^32), found {_memberOutput} decompressed");
        }

        _state = State.MemberHeader;
    }

    private void ReadBlockHeader()
    {
        _finalBlock = Bits(1, "block header") == 1;
        int type = Bits(2, "block header");
        switch (type)
        {
            case 0:
                _bits >>= _bitCount & 7;
                _bitCount -= _bitCount & 7;
                int length = Bits(16, "stored block length");
                int complement = Bits(16, "stored block length");
                if ((length ^ 0xFFFF) != complement)
                {
                    throw Fail("stored block length", $"expected LEN and its complement, found {length} and {complement}");
                }

                _storedRemaining = length;
                _state = State.Stored;
                break;
            case 1:
                Span<byte> fixedLengths = stackalloc byte[288 + 32];
                fixedLengths[..144].Fill(8);
                fixedLengths[144..256].Fill(9);
                fixedLengths[256..280].Fill(7);
                fixedLengths[280..288].Fill(8);
                fixedLengths[288..].Fill(5);
                Build(_literals, fixedLengths[..288], "fixed literal code");
                Build(_distances, fixedLengths[288..], "fixed distance code");
                _state = State.Huffman;
                break;
            case 2:
                ReadDynamicTables();
                _state = State.Huffman;
                break;
            default:
                throw Fail("block header", "expected block type 0, 1 or 2, found 3 (reserved)");
        }
    }

    private void ReadDynamicTables()
    {
        int literals = Bits(5, "dynamic block header") + 257;
        int distances = Bits(5, "dynamic block header") + 1;
        int codeLengthCodes = Bits(4, "dynamic block header") + 4;
        if (literals > 286 || distances > 30)
        {
            throw Fail("dynamic block header", $"expected at most 286 literal/length and 30 distance codes, found {literals} and {distances}");
        }

        Span<byte> codeLengthLengths = stackalloc byte[19];
        codeLengthLengths.Clear();
        for (int i = 0; i < codeLengthCodes; i++)
        {
            codeLengthLengths[CodeLengthOrder[i]] = (byte)Bits(3, "code length code");
        }

        Build(_codeLengths, codeLengthLengths, "code length code");
        Span<byte> lengths = stackalloc byte[286 + 30];
        int count = literals + distances;
        for (int i = 0; i < count;)
        {
            int symbol = Decode(_codeLengths, "code lengths");
            if (symbol < 16)
            {
                lengths[i++] = (byte)symbol;
                continue;
            }

            (int repeat, byte value) = symbol switch
            {
                16 => i > 0 ? (3 + Bits(2, "code lengths"), lengths[i - 1]) : throw Fail("code lengths", "expected a length before a repeat (code 16), found none"),
                17 => (3 + Bits(3, "code lengths"), (byte)0),
                _ => (11 + Bits(7, "code lengths"), (byte)0),
            };
            if (i + repeat > count)
            {
                throw Fail("code lengths", $"expected {count} lengths, found a repeat past them");
            }

            lengths.Slice(i, repeat).Fill(value);
            i += repeat;
        }

        if (lengths[256] == 0)
        {
            throw Fail("literal/length code", "expected a code for the end of the block (symbol 256), found none");
        }

        Build(_literals, lengths[..literals], "literal/length code");
        Build(_distances, lengths.Slice(literals, distances), "distance code");
    }

    private void DecodeSymbol(Span<byte> buffer, ref int produced)
    {
        int symbol = Decode(_literals, "literal/length");
        if (symbol < 256)
        {
            Emit(buffer, ref produced, (byte)symbol);
            return;
        }

        if (symbol == 256)
        {
            _state = State.BlockHeader;
            return;
        }

        int index = symbol - 257;
        if (index >= LengthBase.Length)
        {
            throw Fail("literal/length", $"expected a symbol up to 285, found {symbol}");
        }

        int length = LengthBase[index] + Bits(LengthExtra[index], "length");
        int distanceSymbol = Decode(_distances, "distance");
        if (distanceSymbol >= DistanceBase.Length)
        {
            throw Fail("distance", $"expected a distance symbol up to 29, found {distanceSymbol}");
        }

        int distance = DistanceBase[distanceSymbol] + Bits(DistanceExtra[distanceSymbol], "distance");
        if (distance > _memberOutput)
        {
            throw Fail("distance", $"expected a distance within the {_memberOutput} bytes decoded, found {distance} (too far back)");
        }

        _matchLength = length;
        _matchDistance = distance;
    }

    /// <summary>
    /// Fills <paramref name="table"/> for a canonical Huffman code: for every 15-bit window of the bit stream, the symbol
    /// whose (bit-reversed) code starts it and the code's length; 0 where no code does (an incomplete code).
    /// </summary>
    private void Build(ushort[] table, ReadOnlySpan<byte> lengths, string field)
    {
        Span<int> counts = stackalloc int[16];
        counts.Clear();
        foreach (byte length in lengths)
        {
            counts[length]++;
        }

        counts[0] = 0;
        int left = 1;
        for (int bits = 1; bits <= 15; bits++)
        {
            left = (left << 1) - counts[bits];
            if (left < 0)
            {
                throw Fail(field, "expected a prefix code, found more codes of some length than fit (over-subscribed)");
            }
        }

        Span<int> next = stackalloc int[16];
        int code = 0;
        for (int bits = 1; bits <= 15; bits++)
        {
            code = (code + counts[bits - 1]) << 1;
            next[bits] = code;
        }

        Array.Clear(table);
        for (int symbol = 0; symbol < lengths.Length; symbol++)
        {
            int length = lengths[symbol];
            if (length == 0)
            {
                continue;
            }

            int reversed = Reverse(next[length]++, length);
            ushort entry = (ushort)((symbol << 4) | length);
            for (int i = reversed; i < table.Length; i += 1 << length)
            {
                table[i] = entry;
            }
        }
    }

    private static int Reverse(int code, int length)
    {
        int result = 0;
        for (int i = 0; i < length; i++)
        {
            result = (result << 1) | (code & 1);
            code >>= 1;
        }

        return result;
    }

    private int Decode(ushort[] table, string field)
    {
        Refill(TableBits);
        ushort entry = table[(int)(_bits & ((1u << TableBits) - 1))];
        int length = entry & 15;
        if (length == 0)
        {
            throw _bitCount == 0 ? Truncated(field) : Fail(field, "expected a valid code, found bits no code starts with");
        }

        if (length > _bitCount)
        {
            throw Truncated(field);
        }

        _bits >>= length;
        _bitCount -= length;
        return entry >> 4;
    }

    private DataFormatException Truncated(string field) => Fail(field, "expected more compressed data, found the end of the file (truncated)");

    private int Bits(int count, string field)
    {
        if (count == 0)
        {
            return 0;
        }

        Refill(count);
        if (_bitCount < count)
        {
            throw Truncated(field);
        }

        int value = (int)(_bits & ((1UL << count) - 1));
        _bits >>= count;
        _bitCount -= count;
        return value;
    }

    /// <summary>True when every byte has been consumed (nothing buffered and the input ended).</summary>
    private bool AtEnd()
    {
        Refill(8);
        return _bitCount == 0;
    }

    /// <summary>Brings at least <paramref name="count"/> bits into the register, or all that remain.</summary>
    private void Refill(int count)
    {
        if (_bitCount >= count)
        {
            return;
        }

        // Fast path: eight bytes at once while the buffer holds them; the register keeps whole bytes only.
        if (_inputLength - _inputPosition >= 8)
        {
            int take = (63 - _bitCount) >> 3;
            _bits |= BinaryPrimitives.ReadUInt64LittleEndian(_inputBuffer.AsSpan(_inputPosition)) << _bitCount;
            _bits &= _bitCount + (8 * take) == 64 ? ulong.MaxValue : (1UL << (_bitCount + (8 * take))) - 1;
            _inputPosition += take;
            _bitCount += 8 * take;
            _compressedOffset += take;
            return;
        }

        while (_bitCount < count)
        {
            if (_inputPosition == _inputLength)
            {
                if (_inputEnded)
                {
                    return;
                }

                _inputLength = _input.Read(_inputBuffer, 0, _inputBuffer.Length);
                _inputPosition = 0;
                if (_inputLength == 0)
                {
                    _inputEnded = true;
                    return;
                }
            }

            _bits |= (ulong)_inputBuffer[_inputPosition++] << _bitCount;
            _bitCount += 8;
            _compressedOffset++;
        }
    }
}
