namespace EdgeLstm.Tests.TestSupport;

/// <summary>
/// Bytes behind a stream that cannot seek or tell its length and returns short reads (at most <c>maxRead</c> bytes), as a
/// pipe does. Shared by the reader tests and the fuzz stage (linked into tests/EdgeLstm.Fuzz).
/// </summary>
internal sealed class PipeLikeStream(byte[] content, int maxRead) : Stream
{
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException("a pipe has no length");

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = Math.Min(Math.Min(count, maxRead), content.Length - _position);
        content.AsSpan(_position, n).CopyTo(buffer.AsSpan(offset));
        _position += n;
        return n;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
