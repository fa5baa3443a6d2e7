using System.Runtime.InteropServices;

namespace Difenn.Relay.Relaying.Native;

// The C layouts of <sys/socket.h> and <sys/uio.h> on 64-bit Linux (LP64: pointers and size_t are 8 bytes).

/// <summary><c>struct iovec</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public byte* Base;
    public nuint Length;
}

/// <summary><c>struct msghdr</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public byte* Name;
    public uint NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public byte* Control;
    public nuint ControlLength;
    public int Flags;
}

/// <summary><c>struct mmsghdr</c>: a message and, after the call, how many bytes it carried.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MMsgHdr
{
    public MsgHdr Header;
    public uint Length;
}

/// <summary><c>struct cmsghdr</c> (its data follows, 8-byte aligned).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CMsgHdr
{
    public nuint Length;
    public int Level;
    public int Type;
}
